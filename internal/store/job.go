package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
)

// The job queue's rows (internal/jobs). Jobs are written by the transactions
// that cause them — the lead pipeline (pipeline.go) and the lead edits
// (recordChange) — and claimed, finished, retried and listed here.

// jobColumns are the columns of a new job that jobRow gives values for.
const jobColumns = "kind, account_id, lead_id, payload, state, attempts, max_attempts, run_at, created_at, lease_until, worker"

// jobRow returns the values of jobColumns for a new job; a job leased at
// birth (job_local.go) is running under its lease.
func jobRow(j *jobs.Job) []any {
	var until *int64
	var worker *string
	if j.LeaseUntil != nil {
		ms := j.LeaseUntil.UnixMilli()
		until, worker = &ms, &j.Worker
	}
	payload := string(j.Payload)
	return []any{j.Kind, j.AccountID, j.LeadID, payload, jobs.Queued, int64(j.Attempts), int64(j.MaxAttempts),
		j.RunAt.UnixMilli(), j.CreatedAt.UnixMilli(), until, worker}
}

// insertJob writes one job due now in tx and returns its id.
func insertJob(ctx context.Context, tx *sql.Tx, j *jobs.Job) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING id`, jobRow(j)...).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert %s job: %w", j.Kind, err)
	}
	return id, nil
}

// leadEventPayload is a lead event's job payload: which lead; for a new
// lead, the path it came by ("via": webhook, api, reprocess); for an edit,
// the action, who made it, and the fields it changed with their old and new
// values, as the lead's history records them. The words are the pipeline's
// and the edits' own, never a sender's.
func leadEventPayload(leadID int64, key, word string, userID *int64, changes string) string {
	var b strings.Builder
	b.WriteString(`{"leadId":`)
	b.WriteString(strconv.FormatInt(leadID, 10))
	b.WriteString(`,"` + key + `":`)
	b.WriteString(strconv.Quote(word))
	if userID != nil {
		b.WriteString(`,"userId":`)
		b.WriteString(strconv.FormatInt(*userID, 10))
	}
	if changes != "" {
		b.WriteString(`,"changes":`)
		b.WriteString(changes)
	}
	b.WriteByte('}')
	return b.String()
}

// EnqueueJob queues a job of kind, due now, to be tried at most maxAttempts
// times, and returns its id.
func (s *Store) EnqueueJob(ctx context.Context, kind string, payload []byte, maxAttempts int) (int64, error) {
	if !json.Valid(payload) {
		return 0, fmt.Errorf("enqueue %s: payload is not JSON", kind)
	}
	var id int64
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var err error
		id, err = insertJob(ctx, tx, &jobs.Job{Kind: kind, Payload: payload, MaxAttempts: maxAttempts, RunAt: now, CreatedAt: now})
		return err
	})
	if err == nil {
		s.signalJobs()
	}
	return id, err
}

// JobsWritten is signalled after this process commits new jobs, so that its
// runner claims them without waiting for its next poll.
func (s *Store) JobsWritten() <-chan struct{} { return s.jobsWritten }

func (s *Store) signalJobs() {
	select {
	case s.jobsWritten <- struct{}{}:
	default:
	}
}

const jobReturning = "id, kind, account_id, lead_id, payload, state, attempts, max_attempts, run_at, created_at, last_error, periodic, worker, lease_until"

// scanJob reads a job as of now: a queued job under a lease is running.
func scanJob(row scanner, now time.Time) (jobs.Job, error) {
	var j jobs.Job
	var payload string
	var runAt, created int64
	var worker sql.NullString
	var lease sql.NullInt64
	err := row.Scan(&j.ID, &j.Kind, &j.AccountID, &j.LeadID, &payload, &j.State, &j.Attempts, &j.MaxAttempts,
		&runAt, &created, &j.LastError, &j.Periodic, &worker, &lease)
	j.Payload = []byte(payload)
	j.RunAt, j.CreatedAt = time.UnixMilli(runAt), time.UnixMilli(created)
	if lease.Valid && lease.Int64 > now.UnixMilli() && j.State == jobs.Queued {
		until := time.UnixMilli(lease.Int64)
		j.State, j.LeaseUntil, j.Worker = jobs.Running, &until, worker.String
	}
	return j, err
}

// CycleJobs records the results of earlier tries, then claims up to limit
// due jobs — queued ones whose time has come, and running ones whose lease
// has run out (their process died) — leasing them to worker until
// now+lease. On PostgreSQL concurrent claimers skip each other's rows
// (FOR UPDATE SKIP LOCKED), so no two processes hold one job.
//
// On PostgreSQL the cycle commits without waiting for its WAL to reach the
// disk (lazyCommit), so that the runner's bookkeeping adds no flushes for
// the intake's commits to queue behind. A crash may undo its last cycles,
// never a job: a claim undone is claimed again, a done job undone is carried
// out again — what "at least once" allows anyway — while the jobs
// themselves were committed durably with what caused them.
func (s *Store) CycleJobs(ctx context.Context, worker string, results []jobs.Result, limit int, lease time.Duration) ([]jobs.Job, error) {
	var claimed []jobs.Job
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		claimed = claimed[:0]
		if q := s.dialect.lazyCommit; q != "" {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		now := s.now()
		if err := recordResults(ctx, tx, s.dialect, results, now); err != nil {
			return err
		}
		if limit <= 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET attempts = attempts + 1, lease_until = $1, worker = $2
			WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
				ORDER BY run_at LIMIT $4`+s.dialect.skipLocked+`)
			RETURNING `+jobReturning, now.Add(lease).UnixMilli(), worker, now.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("claim jobs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows, now)
			if err != nil {
				return fmt.Errorf("claim jobs: %w", err)
			}
			claimed = append(claimed, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	s.freeRecorded(results)
	return claimed, nil
}

// recordResults writes what became of jobs' tries. A result counts only
// while the lease it was claimed with holds: a job whose lease ran out and
// was claimed again belongs to its new holder.
func recordResults(ctx context.Context, tx *sql.Tx, d dialect, results []jobs.Result, now time.Time) error {
	done := map[string][]int64{} // by lease
	for _, r := range results {
		j := r.Job
		var q string
		var args []any
		switch {
		case r.Released:
			q, args = "UPDATE jobs SET attempts = attempts - 1, lease_until = NULL, worker = NULL", nil
		case r.Err == nil || !r.Next.IsZero():
			done[j.Worker] = append(done[j.Worker], j.ID)
			continue
		case r.Dead:
			q, args = "UPDATE jobs SET state = 'dead', last_error = $1, lease_until = NULL, worker = NULL", []any{errText(r.Err)}
		default:
			q, args = "UPDATE jobs SET run_at = $1, last_error = $2, lease_until = NULL, worker = NULL", []any{r.RetryAt.UnixMilli(), errText(r.Err)}
		}
		n := len(args)
		q += " WHERE id = $" + strconv.Itoa(n+1) + " AND worker = $" + strconv.Itoa(n+2) + " AND lease_until IS NOT NULL"
		if _, err := tx.ExecContext(ctx, q, append(args, j.ID, j.Worker)...); err != nil {
			return fmt.Errorf("record job %d: %w", j.ID, err)
		}
	}
	for worker, ids := range done {
		if _, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE worker = $1 AND lease_until IS NOT NULL AND "+d.inIDs(2),
			worker, d.idsArg(ids)); err != nil {
			return fmt.Errorf("finish jobs: %w", err)
		}
	}
	// A periodic job's next run goes in once the delete above has freed its
	// name.
	for _, r := range results {
		if !r.Released && !r.Next.IsZero() && r.Job.Periodic != nil {
			if err := schedulePeriodic(ctx, tx, r.Job.Kind, r.Next, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxErrorText bounds a stored error: a failing handler's error may quote a
// whole answer.
const maxErrorText = 2000

// errText is err as a job's last_error: valid UTF-8 without NULs (which
// PostgreSQL's text refuses: one such error would fail every cycle that
// records it), at most maxErrorText bytes.
func errText(err error) string {
	t := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "\uFFFD")
	if len(t) > maxErrorText {
		t = strings.ToValidUTF8(t[:maxErrorText], "") + "…"
	}
	return t
}

// SchedulePeriodic queues a run of the periodic job kind at at, unless one
// is queued or running already (from this process or another).
func (s *Store) SchedulePeriodic(ctx context.Context, kind string, at time.Time) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error { return schedulePeriodic(ctx, tx, kind, at, s.now()) })
}

func schedulePeriodic(ctx context.Context, tx *sql.Tx, kind string, at, now time.Time) error {
	// The partial unique index on periodic refuses a second pending run.
	_, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, periodic)
		VALUES ($1, '{}', 'queued', 0, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		kind, int64(jobs.MaxAttempts), at.UnixMilli(), now.UnixMilli(), kind)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", kind, err)
	}
	return nil
}

// ListJobs returns up to limit jobs in state (every state for ""), the
// soonest due first.
func (s *Store) ListJobs(ctx context.Context, state string, limit int) ([]jobs.Job, error) {
	now := s.now()
	q := "SELECT " + jobReturning + " FROM jobs"
	args := []any{}
	switch state {
	case jobs.Dead:
		q += " WHERE state = 'dead'"
	case jobs.Running:
		q += " WHERE state = 'queued' AND lease_until > $1"
		args = append(args, now.UnixMilli())
	case jobs.Queued:
		q += " WHERE state = 'queued' AND (lease_until IS NULL OR lease_until <= $1)"
		args = append(args, now.UnixMilli())
	}
	q += " ORDER BY run_at, id LIMIT $" + strconv.Itoa(len(args)+1)
	rows, err := s.read.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list jobs: %w", err))
	}
	defer rows.Close()
	out := []jobs.Job{}
	for rows.Next() {
		j, err := scanJob(rows, now)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("list jobs: %w", err))
		}
		out = append(out, j)
	}
	return out, s.wrap(rows.Err())
}

// RetryJob makes a dead (or waiting) job due now with its tries counted
// afresh. A running job is left to its holder.
func (s *Store) RetryJob(ctx context.Context, id int64) (jobs.Job, error) {
	var j jobs.Job
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var err error
		now := s.now()
		j, err = scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, lease_until = NULL, worker = NULL
			WHERE id = $2 AND periodic IS NULL AND (state = 'dead' OR lease_until IS NULL OR lease_until <= $1)
			RETURNING `+jobReturning, now.UnixMilli(), id), now)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var periodic sql.NullString
		if err := tx.QueryRowContext(ctx, "SELECT periodic FROM jobs WHERE id = $1", id).Scan(&periodic); errors.Is(err, sql.ErrNoRows) {
			return notFound("job")
		} else if err != nil {
			return err
		}
		if periodic.Valid {
			return lead.Errorf(lead.EConflict, "id", "Это периодическая задача, она запускается сама.")
		}
		return lead.Errorf(lead.EConflict, "id", "Задача сейчас выполняется.")
	})
	if err == nil {
		s.signalJobs()
	}
	return j, err
}

// RetryDeadJobs makes every dead job due now, and returns how many.
func (s *Store) RetryDeadJobs(ctx context.Context) (int64, error) {
	var n int64
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1 WHERE state = 'dead' AND periodic IS NULL",
			s.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("retry jobs: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err == nil && n > 0 {
		s.signalJobs()
	}
	return n, err
}

// JobStats counts the queue's jobs by state and says how long the oldest
// due job has waited.
func (s *Store) JobStats(ctx context.Context) (jobs.Stats, error) {
	var st jobs.Stats
	now := s.now().UnixMilli()
	var oldest sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT
		count(CASE WHEN state = 'queued' AND (lease_until IS NULL OR lease_until <= $1) THEN 1 END),
		count(CASE WHEN state = 'queued' AND lease_until > $1 THEN 1 END),
		count(CASE WHEN state = 'dead' THEN 1 END),
		min(CASE WHEN state = 'queued' AND run_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) THEN run_at END)
		FROM jobs`, now).Scan(&st.Queued, &st.Running, &st.Dead, &oldest)
	if err != nil {
		return st, s.wrap(fmt.Errorf("job stats: %w", err))
	}
	if oldest.Valid {
		st.OldestDue = float64(now-oldest.Int64) / 1000
	}
	return st, nil
}
