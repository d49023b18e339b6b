package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/jobs"
)

// memQueue is a queue in memory that only hands born jobs over: it measures
// what the runner itself costs a job, apart from any database.
type memQueue struct {
	born     chan []jobs.Job
	recorded atomic.Int64
	written  chan struct{}
}

func (q *memQueue) CycleJobs(_ context.Context, _ string, results []jobs.Result, _ int, _ time.Duration) ([]jobs.Job, error) {
	q.recorded.Add(int64(len(results)))
	return nil, nil
}
func (q *memQueue) SchedulePeriodic(context.Context, string, time.Time) error { return nil }
func (q *memQueue) JobsWritten() <-chan struct{}                              { return q.written }
func (q *memQueue) AttachRunner(string, time.Duration, int) (<-chan []jobs.Job, func()) {
	return q.born, func() {}
}

// BenchmarkRunnerBornJobs hands the runner groups of 40 born jobs with a
// handler that does nothing, as the webhook's lead events are today: the
// cost per job of the runner's dispatch, tries and results.
func BenchmarkRunnerBornJobs(b *testing.B) {
	q := &memQueue{born: make(chan []jobs.Job, 1024), written: make(chan struct{})}
	r := jobs.NewRunner(q, quiet(), "bench")
	var wg sync.WaitGroup
	r.Handle(jobs.LeadCreated, func(context.Context, jobs.Job) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	lease := time.Now().Add(time.Hour)
	const group = 40
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += group {
		js := make([]jobs.Job, min(group, b.N-i))
		for k := range js {
			js[k] = jobs.Job{ID: int64(i + k), Kind: jobs.LeadCreated, Attempts: 1, MaxAttempts: 8, LeaseUntil: &lease}
		}
		q.born <- js
	}
	for q.recorded.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}

// failingQueue is a queue whose database is down.
type failingQueue struct {
	memQueue
	cycles atomic.Int64
}

func (q *failingQueue) CycleJobs(context.Context, string, []jobs.Result, int, time.Duration) ([]jobs.Job, error) {
	q.cycles.Add(1)
	return nil, errors.New("connection refused")
}

// TestRunnerWaitsWhenTheQueueFails: with the database down, the runner
// tries again once a Poll, not in a loop.
func TestRunnerWaitsWhenTheQueueFails(t *testing.T) {
	q := &failingQueue{memQueue: memQueue{born: make(chan []jobs.Job, 8), written: make(chan struct{})}}
	r := jobs.NewRunner(q, quiet(), "down")
	r.Poll, r.Linger, r.Record = 100*time.Millisecond, time.Millisecond, time.Millisecond
	r.Handle(jobs.LeadCreated, func(context.Context, jobs.Job) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	lease := time.Now().Add(time.Hour)
	q.born <- []jobs.Job{{ID: 1, Kind: jobs.LeadCreated, Attempts: 1, MaxAttempts: 8, LeaseUntil: &lease}}
	time.Sleep(550 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Run ended without the error of its last write")
	}
	if n := q.cycles.Load(); n < 3 || n > 9 {
		t.Fatalf("%d cycles in 550 ms with a Poll of 100 ms", n)
	}
}
