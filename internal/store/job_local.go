package store

import (
	"sync"
	"time"

	"leadbox/internal/jobs"
)

// Jobs born leased. A lead's job is written by the writer of the process
// that created the lead, and that process's runner is the natural one to
// carry it out at once: so while a runner is attached (AttachRunner), the
// pipeline writes each new lead's job already leased to it — first try
// started, lease as a claim would give — and hands it over in memory once
// the group has committed. The runner skips the claim — an UPDATE of every
// job and a scan of the queue — and starts the event at once instead of at
// its next poll. Nothing else changes: the row is written in the lead's
// transaction; when the process dies, the lease runs out and any runner
// claims the job.
//
// At most limit jobs are held by the runner at once (handed over and not
// yet recorded); past that, jobs are written unleased and claimed as usual.

type localRunner struct {
	worker string
	lease  time.Duration
	limit  int
	ch     chan []jobs.Job

	mu   sync.Mutex
	held int
	gone bool
}

// AttachRunner makes this process's runner, named worker, the first to
// get the jobs this process's lead pipeline writes: they are leased to it
// for lease and sent on the channel returned once committed. detach stops
// that; jobs sent and not taken stay leased until their lease runs out.
func (s *Store) AttachRunner(worker string, lease time.Duration, limit int) (born <-chan []jobs.Job, detach func()) {
	lr := &localRunner{worker: worker, lease: lease, limit: limit, ch: make(chan []jobs.Job, limit)}
	s.local.Store(lr)
	return lr.ch, func() {
		lr.mu.Lock()
		lr.gone = true
		lr.mu.Unlock()
		s.local.CompareAndSwap(lr, nil)
	}
}

// adopt leases one new job to the attached runner, if there is one with
// room, and says to whom and until when.
func (s *Store) adopt(now time.Time) (lr *localRunner, until int64, ok bool) {
	lr = s.local.Load()
	if lr == nil {
		return nil, 0, false
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.gone || lr.held >= lr.limit {
		return nil, 0, false
	}
	lr.held++
	return lr, now.Add(lr.lease).UnixMilli(), true
}

// free gives back n of the runner's places: jobs it finished, or jobs
// leased to it whose transaction did not commit.
func (lr *localRunner) free(n int) {
	lr.mu.Lock()
	lr.held -= n
	lr.mu.Unlock()
}

// bornJob is a job the pipeline leased to the attached runner.
type bornJob struct {
	lr  *localRunner
	job jobs.Job
}

// handOver gives the runner the jobs of the requests that committed and
// frees the places of those that did not; when a committed request wrote a
// job no runner was handed, it tells the runner to read the queue. The
// writer calls it once a group's outcome is final.
func (s *Store) handOver(reqs []*request) {
	var byRunner map[*localRunner][]jobs.Job
	for _, r := range reqs {
		if r.unborn && r.err == nil && !r.out.Replayed {
			s.signalJobs()
		}
		r.unborn = false
		for _, b := range r.born {
			if r.err != nil {
				b.lr.free(1)
				continue
			}
			if byRunner == nil {
				byRunner = map[*localRunner][]jobs.Job{}
			}
			byRunner[b.lr] = append(byRunner[b.lr], b.job)
		}
		r.born = nil
	}
	for lr, js := range byRunner {
		select {
		case lr.ch <- js: // never blocks: at most limit jobs are held
		default:
			lr.free(len(js)) // cannot happen; the leases run out and the jobs are claimed
		}
	}
}

// forgetBorn frees the places of jobs leased in an earlier attempt of the
// requests (the one-at-a-time rerun of a group that failed) and forgets
// what that attempt noted.
func forgetBorn(reqs []*request) {
	for _, r := range reqs {
		for _, b := range r.born {
			b.lr.free(1)
		}
		r.born, r.unborn = nil, false
	}
}

// freeRecorded gives back the places of the results recorded for the
// attached runner's born jobs.
func (s *Store) freeRecorded(results []jobs.Result) {
	lr := s.local.Load()
	if lr == nil {
		return
	}
	n := 0
	for _, r := range results {
		if r.Job.Worker == lr.worker {
			n++
		}
	}
	if n > 0 {
		lr.free(n)
	}
}
