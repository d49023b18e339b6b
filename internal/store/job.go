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
)

// The job queue's rows (internal/jobs). Jobs are written by the transactions
// that cause them — the lead pipeline (pipeline.go) and the lead edits
// (recordChange) — and claimed, finished, retried and listed here.

// jobColumns are the columns of a new job that jobArgs gives values for.
const jobColumns = "kind, account_id, lead_id, payload, state, attempts, max_attempts, run_at, created_at"

// jobArgs returns the values of jobColumns for a job due now.
func jobArgs(kind string, accountID, leadID int64, payload string, now time.Time) []any {
	ms := now.UnixMilli()
	return []any{kind, accountID, leadID, payload, jobs.Queued, int64(0), int64(jobs.MaxAttempts), ms, ms}
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ms := s.now().UnixMilli()
		return tx.QueryRowContext(ctx, `INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at)
			VALUES ($1, $2, 'queued', 0, $3, $4, $5) RETURNING id`, kind, string(payload), int64(maxAttempts), ms, ms).Scan(&id)
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

const jobReturning = "id, kind, account_id, lead_id, payload, state, attempts, max_attempts, run_at, created_at, last_error, periodic, worker"

func scanJob(row scanner) (jobs.Job, error) {
	var j jobs.Job
	var payload string
	var runAt, created int64
	var worker sql.NullString
	err := row.Scan(&j.ID, &j.Kind, &j.AccountID, &j.LeadID, &payload, &j.State, &j.Attempts, &j.MaxAttempts,
		&runAt, &created, &j.LastError, &j.Periodic, &worker)
	j.Payload = []byte(payload)
	j.RunAt, j.CreatedAt = time.UnixMilli(runAt), time.UnixMilli(created)
	j.Worker = worker.String
	return j, err
}

// CycleJobs records the results of earlier tries, then claims up to limit
// due jobs — queued ones whose time has come, and running ones whose lease
// has run out (their process died) — leasing them to worker until
// now+lease. On PostgreSQL concurrent claimers skip each other's rows
// (FOR UPDATE SKIP LOCKED), so no two processes hold one job.
func (s *Store) CycleJobs(ctx context.Context, worker string, results []jobs.Result, limit int, lease time.Duration) ([]jobs.Job, error) {
	var claimed []jobs.Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		claimed = claimed[:0]
		now := s.now()
		if err := recordResults(ctx, tx, results, now); err != nil {
			return err
		}
		if limit <= 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = 'running', attempts = attempts + 1, run_at = $1, worker = $2
			WHERE id IN (SELECT id FROM jobs WHERE state IN ('queued', 'running') AND run_at <= $3
				ORDER BY run_at LIMIT $4`+s.dialect.skipLocked+`)
			RETURNING `+jobReturning, now.Add(lease).UnixMilli(), worker, now.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("claim jobs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
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
	return claimed, nil
}

// recordResults writes what became of jobs' tries. A result counts only
// while the lease it was claimed with holds: a job whose lease ran out and
// was claimed again belongs to its new holder.
func recordResults(ctx context.Context, tx *sql.Tx, results []jobs.Result, now time.Time) error {
	done := map[string][]int64{} // by lease
	for _, r := range results {
		j := r.Job
		var q string
		var args []any
		switch {
		case r.Released:
			q, args = "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = $1, worker = NULL", []any{now.UnixMilli()}
		case r.Err == nil || !r.Next.IsZero():
			done[j.Worker] = append(done[j.Worker], j.ID)
			continue
		case r.Dead:
			q, args = "UPDATE jobs SET state = 'dead', run_at = $1, last_error = $2, worker = NULL", []any{now.UnixMilli(), errText(r.Err)}
		default:
			q, args = "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, worker = NULL", []any{r.RetryAt.UnixMilli(), errText(r.Err)}
		}
		n := len(args)
		q += " WHERE id = $" + strconv.Itoa(n+1) + " AND worker = $" + strconv.Itoa(n+2) + " AND state = 'running'"
		if _, err := tx.ExecContext(ctx, q, append(args, j.ID, j.Worker)...); err != nil {
			return fmt.Errorf("record job %d: %w", j.ID, err)
		}
	}
	for worker, ids := range done {
		for len(ids) > 0 {
			n := min(len(ids), 200)
			args := []any{worker}
			ph := make([]string, n)
			for i, id := range ids[:n] {
				args = append(args, id)
				ph[i] = "$" + strconv.Itoa(i+2)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE state = 'running' AND worker = $1 AND id IN ("+
				strings.Join(ph, ", ")+")", args...); err != nil {
				return fmt.Errorf("finish jobs: %w", err)
			}
			ids = ids[n:]
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

func errText(err error) string {
	t := err.Error()
	if len(t) > maxErrorText {
		t = strings.ToValidUTF8(t[:maxErrorText], "") + "…"
	}
	return t
}

// SchedulePeriodic queues a run of the periodic job kind at at, unless one
// is queued or running already (from this process or another).
func (s *Store) SchedulePeriodic(ctx context.Context, kind string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return schedulePeriodic(ctx, tx, kind, at, s.now()) })
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
	q := "SELECT " + jobReturning + " FROM jobs"
	args := []any{}
	if state != "" {
		q += " WHERE state = $1"
		args = append(args, state)
	}
	q += " ORDER BY run_at, id LIMIT $" + strconv.Itoa(len(args)+1)
	rows, err := s.read.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list jobs: %w", err))
	}
	defer rows.Close()
	out := []jobs.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanJob(tx.QueryRowContext(ctx, `UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, worker = NULL
			WHERE id = $2 AND state IN ('dead', 'queued') RETURNING `+jobReturning, s.now().UnixMilli(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("job")
		}
		return err
	})
	if err == nil {
		s.signalJobs()
	}
	return j, err
}

// RetryDeadJobs makes every dead job due now, and returns how many.
func (s *Store) RetryDeadJobs(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, worker = NULL WHERE state = 'dead'",
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
	rows, err := s.read.QueryContext(ctx, "SELECT state, count(*) FROM jobs GROUP BY state")
	if err != nil {
		return st, s.wrap(fmt.Errorf("job stats: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return st, s.wrap(err)
		}
		switch state {
		case jobs.Queued:
			st.Queued = n
		case jobs.Running:
			st.Running = n
		case jobs.Dead:
			st.Dead = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, s.wrap(err)
	}
	var oldest sql.NullInt64
	err = s.read.QueryRowContext(ctx, "SELECT min(run_at) FROM jobs WHERE state IN ('queued', 'running') AND run_at <= $1", now).Scan(&oldest)
	if err != nil {
		return st, s.wrap(fmt.Errorf("job stats: %w", err))
	}
	if oldest.Valid {
		st.OldestDue = float64(now-oldest.Int64) / 1000
	}
	return st, nil
}
