// Package jobs is leadbox's durable job queue: what a job is, how often it is
// tried, and the runner that carries jobs out.
//
// A job is a row written in the transaction that causes it (an outbox): a
// lead created, changed or deleted writes its event in the same commit as the
// lead, so an event is never lost when the process dies between the commit
// and the work, and never sent for a lead that was rolled back. The store
// (internal/store, job.go) keeps the rows; any number of leadbox processes
// share them on PostgreSQL. A Runner claims due jobs with a lease, runs their
// handlers, and records the outcome: done jobs are deleted, failed ones are
// tried again with exponential backoff and jitter, and a job that fails its
// last try is kept as dead for inspection (`leadbox jobs list|retry`). A job
// whose process died is claimed again when its lease runs out, so a handler
// may run more than once and must tolerate it (at least once, never lost).
package jobs

import (
	"encoding/json"
	"math/rand/v2"
	"time"
)

// The events a lead's changes write, one job each.
const (
	LeadCreated = "lead.created"
	LeadUpdated = "lead.updated"
	LeadDeleted = "lead.deleted"
)

// States of a job. A done job is deleted.
const (
	Queued  = "queued"  // waiting for RunAt
	Running = "running" // claimed, until LeaseUntil
	Dead    = "dead"    // failed its last try; kept until retried by hand
)

// Job is one row of the queue.
type Job struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	AccountID   *int64          `json:"accountId"`
	LeadID      *int64          `json:"leadId"`
	Payload     json.RawMessage `json:"payload"`
	State       string          `json:"state"`
	Attempts    int             `json:"attempts"` // tries started, this one included
	MaxAttempts int             `json:"maxAttempts"`
	RunAt       time.Time       `json:"runAt"` // when due
	CreatedAt   time.Time       `json:"createdAt"`
	LeaseUntil  *time.Time      `json:"leaseUntil,omitempty"`
	LastError   *string         `json:"lastError"`
	// Periodic names a chore's one pending run (Runner.Every).
	Periodic *string `json:"periodic,omitempty"`
	// Worker holds the lease while the job runs: a try's result is
	// recorded only under the lease it was claimed with.
	Worker string `json:"worker,omitempty"`
}

// MaxAttempts is how many times a job is tried before it is dead. With
// Backoff that spans seven and a half hours: an integration that is down for
// an afternoon still gets its events.
const MaxAttempts = 8

// Backoff is how long to wait before try attempt+1 after try attempt failed:
// 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then 6 h, each ±20% so
// that jobs that failed together do not come back together.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 4
	}
	d = min(d, 6*time.Hour)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// Result is the outcome of one try of a job, for the queue to record.
type Result struct {
	Job Job
	Err error // nil: done
	// When Err is set: RetryAt is when to try again, unless Dead.
	RetryAt time.Time
	Dead    bool
	// Next is when a periodic job runs again (zero for other jobs).
	Next time.Time
	// Released: the job was claimed and never started (the process is
	// stopping); it is due again at once, the try not counted.
	Released bool
}

// Stats is the state of the queue, for /readyz and the log.
type Stats struct {
	Queued  int64 `json:"queued"`
	Running int64 `json:"running"`
	Dead    int64 `json:"dead"`
	// OldestDue is the time the longest-waiting due job has waited for, in
	// seconds; 0 when none is due.
	OldestDue float64 `json:"oldestDueSeconds"`
}
