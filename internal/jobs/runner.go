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
	// or before starting the jobs handed over, to take the jobs of several
	// commits at once.
	Linger time.Duration
	// Record is how often results are written: a done job's delete is the
	// queue's last write for it, and one statement a second serves any
	// number of them. A crash may make the last Record's worth of jobs run
	// again, which at least once allows.
	Record time.Duration
	// Hold is the most jobs the store hands over as it writes them (born
	// leased, see Queue.AttachRunner) and holds for this runner until
	// their results are written; past it they are claimed as others are.
	Hold int
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
		Record: time.Second, Hold: 10000, Backoff: Backoff, now: time.Now}
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
//
// Jobs go to the workers, and results come back, through a queue under a
// mutex rather than a channel send per job: a lead's event costs a few
// lock operations in this process, not two goroutine hand-offs.
func (r *Runner) Run(ctx context.Context) error {
	unscheduled := map[string]bool{}
	for kind, h := range r.handlers {
		if h.every > 0 {
			unscheduled[kind] = true
		}
	}
	born, detach := r.q.AttachRunner(r.worker+"#born", 2*r.Timeout, r.Hold)
	w := newWork()
	var wg sync.WaitGroup
	for range r.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := w.take()
				if !ok {
					return
				}
				w.report(r.try(j))
			}
		}()
	}
	var (
		done    []Result // results not yet recorded
		newborn []Job    // handed over by the store, not yet to the workers
		inHand  int      // in hand and not yet reported
		wake    = time.NewTimer(0)
		wakeAt  = time.Now()
		// claimAt is when the queue is read next for jobs this process was
		// not handed: other processes', retries, expired leases, edits'.
		// Recording results does not read it: a claim scans the due jobs,
		// and under a burst of born jobs there would be nothing to take.
		claimAt = time.Now()
		// recordAt is when results are written next.
		recordAt = time.Now()
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
		select {
		case <-ctx.Done():
			detach()
			for len(born) > 0 {
				newborn = append(newborn, <-born...)
			}
			w.add(newborn)
			return r.drain(w, &wg, done)
		case js := <-born:
			// Gathered a Linger's worth at a time, as results are: waking
			// the workers for every group the writer commits took CPU time
			// from the writer and the requests when they needed it most.
			newborn = append(newborn, js...)
			inHand += len(js)
			soon(r.Linger)
			continue
		case <-w.ready:
			res := w.results()
			done = append(done, res...)
			inHand -= len(res)
			// Results are written a Record's worth at a time: under a
			// stream of born jobs the workers are idle between groups, and
			// writing whenever they were would cost a transaction per group.
			soon(time.Until(recordAt))
			continue
		case <-r.q.JobsWritten():
			claimAt = time.Now()
			soon(r.Linger) // and take the jobs of the commits meanwhile too
			continue
		case <-wake.C:
		}
		w.add(newborn)
		newborn = newborn[:0]
		r.schedule(ctx, unscheduled)
		now := time.Now()
		claim := !now.Before(claimAt)
		if !claim && (len(done) == 0 || now.Before(recordAt)) {
			wake.Reset(time.Until(claimAt))
			wakeAt = claimAt
			if len(done) > 0 && recordAt.Before(claimAt) {
				wake.Reset(time.Until(recordAt))
				wakeAt = recordAt
			}
			continue
		}
		// Claim no more than the workers can start well within a lease:
		// what waits in hand is leased to this process, out of others' reach.
		limit := 0
		if claim {
			limit = max(r.Batch-inHand, 0)
		}
		jobs, err := r.cycleJobs(ctx, done, limit)
		now = time.Now()
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("jobs: claim", "err", err)
			}
			// The database may be down: try again, results and all, a Poll
			// from now.
			claimAt, recordAt = now.Add(r.Poll), now.Add(r.Poll)
			wake.Reset(r.Poll)
			wakeAt = claimAt
			continue
		}
		done = done[:0]
		recordAt = now.Add(r.Record)
		w.add(jobs)
		inHand += len(jobs)
		if claim {
			claimAt = now.Add(r.Poll)
			if len(jobs) == limit && limit > 0 {
				claimAt = now.Add(r.Linger) // more are due: come back soon
			}
		}
		wake.Reset(time.Until(claimAt))
		wakeAt = claimAt
	}
}

// work is what the workers are to do and what they did. Its slices are
// reused: a lead's event passes through here, and fresh slices per batch
// were most of what the runner allocated.
type work struct {
	mu      sync.Mutex
	more    *sync.Cond
	todo    []Job
	next    int // todo[next:] are not taken yet
	stopped bool
	done    []Result
	spare   []Result      // the last batch of results, given back by results
	ready   chan struct{} // signalled when done has results
}

func newWork() *work {
	w := &work{ready: make(chan struct{}, 1)}
	w.more = sync.NewCond(&w.mu)
	return w
}

func (w *work) add(jobs []Job) {
	if len(jobs) == 0 {
		return
	}
	w.mu.Lock()
	if w.next > len(w.todo)/2 {
		// Move what is left to the front, so that a queue that never runs
		// dry does not grow for ever.
		n := copy(w.todo, w.todo[w.next:])
		clear(w.todo[n:])
		w.todo, w.next = w.todo[:n], 0
	}
	w.todo = append(w.todo, jobs...)
	w.mu.Unlock()
	w.more.Broadcast()
}

// take returns the next job, waiting for one; false once stopped.
func (w *work) take() (Job, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.next == len(w.todo) && !w.stopped {
		w.more.Wait()
	}
	if w.stopped {
		return Job{}, false
	}
	j := w.todo[w.next]
	w.todo[w.next] = Job{}
	w.next++
	return j, true
}

func (w *work) report(res Result) {
	w.mu.Lock()
	w.done = append(w.done, res)
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// results takes the results reported so far; they are valid until the next
// call.
func (w *work) results() []Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	res := w.done
	clear(w.spare)
	w.done, w.spare = w.spare[:0], res
	return res
}

// stop makes the workers return once their tries end, and gives back the
// jobs not started.
func (w *work) stop() []Job {
	w.mu.Lock()
	left := w.todo[w.next:]
	w.todo, w.next, w.stopped = nil, 0, true
	w.mu.Unlock()
	w.more.Broadcast()
	return left
}

// drain stops taking jobs, lets the tries under way finish and records every
// result; the jobs in hand but not started go back to the queue at once.
func (r *Runner) drain(w *work, wg *sync.WaitGroup, done []Result) error {
	left := w.stop()
	wg.Wait()
	done = append(done, w.results()...)
	for _, j := range left {
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

// try runs one job's handler and says what became of it.
func (r *Runner) try(j Job) Result {
	res := Result{Job: j}
	h, ok := r.handlers[j.Kind]
	switch {
	case j.LeaseUntil != nil && time.Until(*j.LeaseUntil) < r.Timeout/2:
		// It waited too long to start: the lease might end mid-try, and
		// another runner claim it meanwhile. Back to the queue at once.
		res.Released = true
		return res
	case j.Periodic != nil:
		// A chore never dies: whatever becomes of this run, it is done and
		// the next is scheduled (by a process without its handler, soon, for
		// one with it to take).
		next := h.every
		if !ok {
			res.Err, next = fmt.Errorf("no handler for %q in this process", j.Kind), r.Poll
		} else {
			res.Err = r.run(h, j)
		}
		res.Next = r.now().Add(next)
		if res.Err != nil {
			r.log.Warn("jobs: periodic job failed", "kind", j.Kind, "err", res.Err)
		}
		return res
	case !ok:
		res.Err = fmt.Errorf("no handler for %q in this process", j.Kind)
	case j.Attempts > j.MaxAttempts:
		// Its last try was claimed by a process that died.
		res.Err, res.Dead = errors.New("the process running its last try stopped"), true
		return res
	default:
		res.Err = r.run(h, j)
	}
	if res.Err != nil {
		res.Dead = j.Attempts >= j.MaxAttempts
		res.RetryAt = r.now().Add(r.Backoff(j.Attempts))
		r.log.Warn("jobs: job failed", "id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "dead", res.Dead, "err", res.Err)
	}
	return res
}

// run runs h on j within Timeout, never past j's lease.
func (r *Runner) run(h handler, j Job) error {
	deadline := time.Now().Add(r.Timeout)
	if j.LeaseUntil != nil && j.LeaseUntil.Before(deadline) {
		deadline = *j.LeaseUntil
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	return safely(ctx, h.fn, j)
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
