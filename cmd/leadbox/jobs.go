package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Web UI sessions end after this long without a request, or this long after
// login; the server's session chore deletes what has ended.
const (
	sessionIdle = 30 * time.Minute
	sessionMax  = 8 * time.Hour
)

// The server's periodic chores, run from the job queue: one run at a time
// across every process sharing the database.
const (
	choreIdempotencyKeys = "chore.expire-idempotency-keys"
	choreSessions        = "chore.expire-sessions"
	choreQuietSources    = "chore.quiet-sources"
	choreRawRetention    = "chore.raw-retention"
	chorePurgeErased     = "chore.purge-erased"
	choreUpkeep          = "chore.upkeep"
)

// quietEvery is how often the sources are checked for going quiet.
const quietEvery = 5 * time.Minute

// newRunner returns the job runner of a server process, with every job
// kind's handler.
func newRunner(s *store.Store, log *slog.Logger) *jobs.Runner {
	// The name tells this run of this process apart in the leases it
	// holds: host and pid repeat across containers and restarts.
	host, _ := os.Hostname()
	var nonce [4]byte
	rand.Read(nonce[:])
	r := jobs.NewRunner(s, log, fmt.Sprintf("%s:%d:%x", host, os.Getpid(), nonce))
	// Lead events have no consumer yet: outgoing webhooks (SPEC §7) and
	// owners' notifications will be carried out here. Until they are, an
	// event is done once a runner has claimed it.
	for _, kind := range []string{jobs.LeadCreated, jobs.LeadUpdated, jobs.LeadDeleted} {
		r.Handle(kind, func(context.Context, jobs.Job) error { return nil })
	}
	r.Every(choreIdempotencyKeys, time.Hour, func(ctx context.Context, _ jobs.Job) error {
		n, err := s.ExpireIdempotencyKeys(ctx)
		if err == nil && n > 0 {
			log.Info("expired idempotency keys", "count", n)
		}
		return err
	})
	r.Every(choreSessions, time.Hour, func(ctx context.Context, _ jobs.Job) error {
		return s.DeleteExpiredSessions(ctx, sessionIdle, sessionMax)
	})
	// Raw requests older than each account's retention (152-FZ): hourly,
	// so that a day's requests go within an hour of their term.
	r.Every(choreRawRetention, time.Hour, func(ctx context.Context, _ jobs.Job) error {
		erased, err := s.EraseOldRequests(ctx)
		for _, e := range erased {
			log.Info("raw requests erased", "account", e.AccountID, "erasure", e.ID, "deliveries", e.Counts.Deliveries)
		}
		return err
	})
	// A large SQLite file is rewritten after erasures at night, when a
	// pause of the webhook's writes troubles the fewest senders (see
	// store.PurgeNowBytes); the night is the server's local time (TZ).
	r.Every(chorePurgeErased, 15*time.Minute, func(ctx context.Context, _ jobs.Job) error {
		if h := time.Now().Hour(); h < 2 || h >= 5 {
			return nil
		}
		n, err := s.PurgeErased(ctx)
		if n > 0 {
			log.Info("database rewritten after erasures", "erasures", n, "err", err)
		}
		return err
	})
	// Working hours are the server's local time (TZ), Monday to Friday 9–19.
	r.Every(choreQuietSources, quietEvery, func(ctx context.Context, _ jobs.Job) error {
		raised, err := s.CheckQuietSources(ctx, time.Now(), lead.DefaultWorkHours(time.Local))
		for _, q := range raised {
			log.Warn("source went quiet", "account", q.AccountID, "source", q.SourceID, "reason", q.Reason,
				"expected_min", q.Expected, "silent_min", int64(q.Silent))
		}
		return err
	})
	// PostgreSQL without autovacuum: analyse and vacuum leadbox's tables as
	// autovacuum would (every minute, its default naptime).
	r.Every(choreUpkeep, time.Minute, func(ctx context.Context, _ jobs.Job) error {
		done, err := s.Upkeep(ctx)
		for _, u := range done {
			log.Info("upkeep: autovacuum is off, so leadbox did its work", "table", u.Table, "vacuum", u.Vacuum,
				"rows", int64(u.Rows), "changed", u.Changed, "dead", u.Dead, "inserted", u.Added)
		}
		return err
	})
	return r
}

// watchQueue logs the queue's state every interval while it needs a look:
// dead jobs, or a due job waiting longer than a minute.
func watchQueue(ctx context.Context, s *store.Store, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := s.JobStats(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("jobs: stats", "err", err)
			}
		case st.Dead > 0 || st.OldestDue > 60:
			log.Warn("jobs: queue", "queued", st.Queued, "running", st.Running, "dead", st.Dead, "oldest_due_s", st.OldestDue)
		}
	}
}

// jobCommands are `leadbox jobs list|retry`: the queue is the
// installation's, not an account's.
func jobCommands() map[string]command {
	return map[string]command{
		"list": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			state := fs.String("state", "", "queued, running or dead (default: every state)")
			limit := fs.Int("limit", 100, "at most this many, the soonest due first")
			return func(a *admin) (any, error) {
				switch *state {
				case "", jobs.Queued, jobs.Running, jobs.Dead:
				default:
					return nil, fmt.Errorf("--state %q: want queued, running or dead", *state)
				}
				return a.store.ListJobs(a.ctx, *state, *limit)
			}
		}},
		"stats": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			return func(a *admin) (any, error) { return a.store.JobStats(a.ctx) }
		}},
		"retry": {func(fs *flag.FlagSet) func(*admin) (any, error) {
			id := fs.Int64("id", 0, "the job to try again now")
			dead := fs.Bool("dead", false, "try every dead job again now")
			return func(a *admin) (any, error) {
				switch {
				case *dead && *id != 0:
					return nil, errors.New("give --id or --dead, not both")
				case *dead:
					n, err := a.store.RetryDeadJobs(a.ctx)
					return map[string]int64{"retried": n}, err
				}
				if err := needID(*id); err != nil {
					return nil, err
				}
				return a.store.RetryJob(a.ctx, *id)
			}
		}},
	}
}
