package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Queue is what a Runner needs of the store.
type Queue interface {
	// CycleJobs records results and then claims up to limit due jobs for
	// worker, leasing them until now+lease, in one transaction.
	CycleJobs(ctx context.Context, worker string, results []Result, limit int, lease time.Duration) ([]Job, error)
	// SchedulePeriodic queues a run of the periodic job kind at at, unless
	// one is queued or running already.
	SchedulePeriodic(ctx context.Context, kind string, at time.Time) error
	// JobsWritten is signalled after this process commits new jobs.
	JobsWritten() <-chan struct{}
	// AttachRunner names this process's runner, whose jobs the store leases
	// to it as it writes them (for lease, at most limit at once) and sends
	// on born once committed, so that they need no claim.
	AttachRunner(worker string, lease time.Duration, limit int) (born <-chan []Job, detach func())
}

// Handler carries out one job. An error means the try failed; the job is
// tried again later (Backoff) until MaxAttempts. A handler may run more than
// once for one job.
type Handler func(ctx context.Context, j Job) error

type handler struct {
	fn    Handler
	every time.Duration // periodic chores
}

// Runner claims due jobs and runs their handlers; one per process.
type Runner struct {
	q        Queue
	log      *slog.Logger
	handlers map[string]handler

	// Workers is how many handlers run at once.
	Workers int
	// Batch is the most jobs claimed at a time. Claims and results are
	// written in one transaction per cycle, so under a burst of leads the
	// queue costs a few transactions a second, not one per job.
	Batch int
	// Timeout bounds one try; the lease is twice that, so a job is claimed
	// again only when the process that held it has died or stalled.
	Timeout time.Duration
	// Poll is how often the queue is read when nothing signals new jobs
	// (jobs written by other processes, retries coming due).
	Poll time.Duration
	// Linger is how long the runner waits after a signal before claiming,
	// to take the jobs of several commits at once.
	Linger time.Duration
	// Backoff is how long a failed job waits before try attempt+1.
	Backoff func(attempt int) time.Duration

	worker string
	cycle  int64
	now    func() time.Time
}

// NewRunner returns a runner for q with no handlers; name tells this process
// apart in the rows it leases.
func NewRunner(q Queue, log *slog.Logger, name string) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{q: q, log: log, handlers: map[string]handler{}, worker: name,
		Workers: 4, Batch: 500, Timeout: time.Minute, Poll: time.Second, Linger: 100 * time.Millisecond,
		Backoff: Backoff, now: time.Now}
}

// Handle sets the handler of a job kind.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = handler{fn: h} }

// Every runs h as a periodic job of kind, every interval: one run at a time
// across every process sharing the queue, the first at start.
func (r *Runner) Every(kind string, every time.Duration, h Handler) {
	r.handlers[kind] = handler{fn: h, every: every}
}

// Run carries out jobs until ctx ends, then waits for the tries under way
// (each bounded by Timeout) and records their results.
func (r *Runner) Run(ctx context.Context) error {
	unscheduled := map[string]bool{}
	for kind, h := range r.handlers {
		if h.every > 0 {
			unscheduled[kind] = true
		}
	}
	born, detach := r.q.AttachRunner(r.worker+"#born", 2*r.Timeout, r.Batch)
	todo := make(chan Job)
	results := make(chan Result, r.Batch)
	var wg sync.WaitGroup
	for range r.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range todo {
				results <- r.try(j)
			}
		}()
	}
	var (
		done    []Result // results not yet recorded
		backlog []Job    // in hand, not yet started
		inHand  int      // in hand and not yet reported by a worker
		wake    = time.NewTimer(0)
		wakeAt  = time.Now()
		// claimAt is when the queue is read next for jobs this process was
		// not handed: other processes', retries, expired leases, edits'.
		// Recording results does not read it: a claim scans the due jobs,
		// and under a burst of born jobs there would be nothing to take.
		claimAt = time.Now()
	)
	defer wake.Stop()
	// soon brings the next cycle forward to within d.
	soon := func(d time.Duration) {
		if at := time.Now().Add(d); at.Before(wakeAt) {
			wake.Reset(d)
			wakeAt = at
		}
	}
	for {
		var send chan Job
		var next Job
		if len(backlog) > 0 {
			send, next = todo, backlog[0]
		}
		select {
		case <-ctx.Done():
			detach()
			for len(born) > 0 {
				backlog = append(backlog, <-born...)
			}
			return r.drain(todo, results, &wg, done, backlog)
		case js := <-born:
			backlog = append(backlog, js...)
			inHand += len(js)
			continue
		case send <- next:
			backlog = backlog[1:]
			continue
		case res := <-results:
			done = append(done, res)
			inHand--
			if inHand > 0 {
				soon(r.Linger) // record results a few at a time, not one by one
				continue
			}
		case <-r.q.JobsWritten():
			claimAt = time.Now()
			soon(r.Linger) // and take the jobs of the commits meanwhile too
			continue
		case <-wake.C:
		}
		r.schedule(ctx, unscheduled)
		limit := 0
		if !time.Now().Before(claimAt) {
			limit = max(r.Batch-inHand, 0)
		}
		jobs, err := r.cycleJobs(ctx, done, limit)
		after := r.Poll
		switch {
		case err != nil:
			if ctx.Err() == nil {
				r.log.Warn("jobs: claim", "err", err)
			}
			// The results are written with the next cycle.
		default:
			done = done[:0]
			backlog = append(backlog, jobs...)
			inHand += len(jobs)
			if limit > 0 {
				claimAt = time.Now().Add(r.Poll)
			}
			if len(jobs) == limit && limit > 0 {
				after, claimAt = r.Linger, time.Now() // more are due: come back soon
			}
		}
		wake.Reset(after)
		wakeAt = time.Now().Add(after)
	}
}

// schedule makes sure every periodic kind has its pending run, trying those
// that failed again at the next cycle (the database may be down at start).
func (r *Runner) schedule(ctx context.Context, kinds map[string]bool) {
	for kind := range kinds {
		if err := r.q.SchedulePeriodic(ctx, kind, r.now()); err != nil {
			if ctx.Err() == nil {
				r.log.Warn("jobs: schedule", "kind", kind, "err", err)
			}
			return
		}
		delete(kinds, kind)
	}
}

func (r *Runner) cycleJobs(ctx context.Context, done []Result, limit int) ([]Job, error) {
	r.cycle++
	// A worker name per claim: a result is recorded only while the lease it
	// was claimed with holds.
	worker := fmt.Sprintf("%s#%d", r.worker, r.cycle)
	return r.q.CycleJobs(ctx, worker, done, limit, 2*r.Timeout)
}

// drain stops claiming, lets the tries under way finish and records every
// result; the jobs claimed but not started go back to the queue at once.
func (r *Runner) drain(todo chan Job, results chan Result, wg *sync.WaitGroup, done []Result, backlog []Job) error {
	close(todo)
	go func() { wg.Wait(); close(results) }()
	for res := range results {
		done = append(done, res)
	}
	for _, j := range backlog {
		done = append(done, Result{Job: j, Released: true})
	}
	if len(done) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := r.q.CycleJobs(ctx, r.worker+"#final", done, 0, 0)
	return err
}

// try runs one job's handler and says what became of it.
func (r *Runner) try(j Job) Result {
	res := Result{Job: j}
	h, ok := r.handlers[j.Kind]
	switch {
	case !ok:
		res.Err = fmt.Errorf("no handler for %q in this process", j.Kind)
	case j.Attempts > j.MaxAttempts:
		// Its last try was claimed by a process that died.
		res.Err, res.Dead = errors.New("the process running its last try stopped"), true
		return res
	case j.LeaseUntil != nil && time.Until(*j.LeaseUntil) < r.Timeout/2:
		// It waited too long to start: the lease might end mid-try, and
		// another runner claim it meanwhile. Back to the queue at once.
		res.Released = true
		return res
	default:
		deadline := time.Now().Add(r.Timeout)
		if j.LeaseUntil != nil && j.LeaseUntil.Before(deadline) {
			deadline = *j.LeaseUntil // never past the lease
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		res.Err = safely(ctx, h.fn, j)
		cancel()
	}
	now := r.now()
	if h.every > 0 {
		res.Next = now.Add(h.every)
		if res.Err != nil {
			r.log.Warn("jobs: periodic job failed", "kind", j.Kind, "err", res.Err)
		}
		return res
	}
	if res.Err != nil {
		res.Dead = j.Attempts >= j.MaxAttempts
		res.RetryAt = now.Add(r.Backoff(j.Attempts))
		r.log.Warn("jobs: job failed", "id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "dead", res.Dead, "err", res.Err)
	}
	return res
}

// safely runs h, turning a panic into the try's error.
func safely(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}
