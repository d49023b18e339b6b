package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// The runner's tests run against real databases: a SQLite file, and a
// PostgreSQL schema when LEADBOX_TEST_POSTGRES is set.

func TestMain(m *testing.M) {
	if dsn := os.Getenv("LEADBOX_JOBS_CHILD"); dsn != "" {
		os.Exit(child(dsn))
	}
	os.Exit(m.Run())
}

// open opens and migrates the database dsn names, closed when the test ends.
func open(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// enqueue queues n jobs of kind and returns their ids.
func enqueue(t *testing.T, s *store.Store, kind string, n, maxAttempts int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		id, err := s.EnqueueJob(context.Background(), kind, []byte(`{"n":`+strconv.Itoa(i)+`}`), maxAttempts)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// pending returns the jobs of kind still in the queue, in any state.
func pending(t *testing.T, s *store.Store, kind string) []jobs.Job {
	t.Helper()
	all, err := s.ListJobs(context.Background(), "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []jobs.Job
	for _, j := range all {
		if j.Kind == kind {
			out = append(out, j)
		}
	}
	return out
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start runs r until the test ends (or stop is called) and reports Run's
// error to the test.
func start(t *testing.T, r *jobs.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestFailingJobIsRetriedThenDead: a handler that always fails is tried
// MaxAttempts times, each try no sooner than the backoff after the one
// before, then the job is dead with its error kept; retried by hand, it
// runs again from its first try.
func TestFailingJobIsRetriedThenDead(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := open(t, storetest.DSN(t, engine))
		const tries = 4
		backoff := func(attempt int) time.Duration { return time.Duration(attempt) * 150 * time.Millisecond }
		var mu sync.Mutex
		var at []time.Time
		var attempts []int
		fail := true
		r := jobs.NewRunner(s, quiet(), "test")
		r.Poll, r.Linger, r.Backoff = 10*time.Millisecond, time.Millisecond, backoff
		r.Handle("test.fail", func(_ context.Context, j jobs.Job) error {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			attempts = append(attempts, j.Attempts)
			if fail {
				return fmt.Errorf("try %d: the receiver said no", j.Attempts)
			}
			return nil
		})
		id := enqueue(t, s, "test.fail", 1, tries)[0]
		start(t, r)

		waitFor(t, "the job to die", 10*time.Second, func() bool {
			list := pending(t, s, "test.fail")
			return len(list) == 1 && list[0].State == jobs.Dead
		})
		j := pending(t, s, "test.fail")[0]
		if j.ID != id || j.Attempts != tries || j.LastError == nil || *j.LastError != "try 4: the receiver said no" {
			t.Fatalf("dead job: id %d attempts %d error %v", j.ID, j.Attempts, j.LastError)
		}
		mu.Lock()
		if len(at) != tries {
			t.Fatalf("%d tries, want %d", len(at), tries)
		}
		for i := 1; i < len(at); i++ {
			if gap, min := at[i].Sub(at[i-1]), backoff(i)-2*time.Millisecond; gap < min {
				t.Errorf("try %d came %s after try %d, before its backoff of %s", i+1, gap, i, backoff(i))
			}
			if attempts[i] != i+1 {
				t.Errorf("try %d saw attempt %d", i+1, attempts[i])
			}
		}
		fail = false
		mu.Unlock()

		// Dead jobs stay until an admin retries them.
		time.Sleep(100 * time.Millisecond)
		if list := pending(t, s, "test.fail"); len(list) != 1 || list[0].State != jobs.Dead {
			t.Fatalf("the dead job changed by itself: %+v", list)
		}
		if _, err := s.RetryJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the retried job to be done", 5*time.Second, func() bool { return len(pending(t, s, "test.fail")) == 0 })
		mu.Lock()
		defer mu.Unlock()
		if last := attempts[len(attempts)-1]; len(attempts) != tries+1 || last != 1 {
			t.Errorf("after the retry: %d tries, the last as attempt %d; want %d and 1", len(attempts), last, tries+1)
		}
	})
}

// TestRunnersNeverShareAJob runs two runners, each with its own Store (on
// PostgreSQL, two connection pools: what two processes have), over one
// queue: no job runs twice at once, and every job runs exactly once.
func TestRunnersNeverShareAJob(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		stores := []*store.Store{open(t, dsn), open(t, dsn)}
		const n = 1500
		ids := enqueue(t, stores[0], "test.count", n, 3)
		var mu sync.Mutex
		running := map[int64]int{}
		runs := map[int64]int{}
		byRunner := [2]int{}
		overlaps := 0
		for i, s := range stores {
			r := jobs.NewRunner(s, quiet(), "runner"+strconv.Itoa(i))
			r.Poll, r.Linger, r.Batch, r.Workers = 5*time.Millisecond, time.Millisecond, 50, 4
			r.Handle("test.count", func(_ context.Context, j jobs.Job) error {
				mu.Lock()
				if running[j.ID] > 0 {
					overlaps++
				}
				running[j.ID]++
				runs[j.ID]++
				byRunner[i]++
				mu.Unlock()
				time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
				mu.Lock()
				running[j.ID]--
				mu.Unlock()
				return nil
			})
			start(t, r)
		}
		waitFor(t, "every job to be done", 60*time.Second, func() bool { return len(pending(t, stores[0], "test.count")) == 0 })
		mu.Lock()
		defer mu.Unlock()
		if overlaps > 0 {
			t.Errorf("%d times a job started while it was running elsewhere", overlaps)
		}
		for _, id := range ids {
			if runs[id] != 1 {
				t.Errorf("job %d ran %d times", id, runs[id])
			}
		}
		if len(runs) != n {
			t.Errorf("%d jobs ran, want %d", len(runs), n)
		}
		t.Logf("%s: runner 0 ran %d jobs, runner 1 ran %d", engine, byRunner[0], byRunner[1])
		if engine == "postgres" && (byRunner[0] == 0 || byRunner[1] == 0) {
			t.Errorf("one runner did all the work (%v): the queue was not shared", byRunner)
		}
	})
}

// TestPeriodicJobRunsOnceAtATime: two runners schedule the same periodic
// chore; one run is ever pending, and it runs again after its interval.
func TestPeriodicJobRunsOnceAtATime(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		stores := []*store.Store{open(t, dsn), open(t, dsn)}
		var mu sync.Mutex
		var runs []time.Time
		for i, s := range stores {
			r := jobs.NewRunner(s, quiet(), "runner"+strconv.Itoa(i))
			r.Poll, r.Linger = 10*time.Millisecond, time.Millisecond
			r.Every("test.chore", 200*time.Millisecond, func(context.Context, jobs.Job) error {
				mu.Lock()
				runs = append(runs, time.Now())
				mu.Unlock()
				return errors.New("a chore that fails still comes back")
			})
			start(t, r)
		}
		waitFor(t, "the chore to be scheduled", 5*time.Second, func() bool { return len(pending(t, stores[0], "test.chore")) > 0 })
		waitFor(t, "three runs", 10*time.Second, func() bool {
			if p := pending(t, stores[0], "test.chore"); len(p) != 1 {
				t.Fatalf("%d pending runs of one chore", len(p))
			}
			mu.Lock()
			defer mu.Unlock()
			return len(runs) >= 3
		})
		mu.Lock()
		defer mu.Unlock()
		for i := 1; i < len(runs); i++ {
			if gap := runs[i].Sub(runs[i-1]); gap < 190*time.Millisecond {
				t.Errorf("run %d came %s after the one before, within the 200 ms interval", i+1, gap)
			}
		}
	})
}

// TestStoppedRunnerHandsBackItsJobs: jobs claimed and not started when the
// runner stops are due again at once, their try not counted.
func TestStoppedRunnerHandsBackItsJobs(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := open(t, storetest.DSN(t, engine))
		enqueue(t, s, "test.slow", 20, 3)
		started := make(chan struct{}, 20)
		r := jobs.NewRunner(s, quiet(), "test")
		r.Workers, r.Poll = 1, 10*time.Millisecond
		r.Handle("test.slow", func(ctx context.Context, j jobs.Job) error {
			started <- struct{}{}
			time.Sleep(200 * time.Millisecond)
			return nil
		})
		stop := start(t, r)
		<-started
		stop()
		left := pending(t, s, "test.slow")
		if len(left) != 19 {
			t.Fatalf("%d jobs left, want the 19 not started", len(left))
		}
		for _, j := range left {
			if j.State != jobs.Queued || j.Attempts != 0 || j.RunAt.After(time.Now()) {
				t.Errorf("job %d handed back as %s, attempt %d, due %s", j.ID, j.State, j.Attempts, j.RunAt)
			}
		}
	})
}

func TestBackoff(t *testing.T) {
	base := []time.Duration{5 * time.Second, 20 * time.Second, 80 * time.Second, 320 * time.Second,
		1280 * time.Second, 5120 * time.Second, 20480 * time.Second, 6 * time.Hour, 6 * time.Hour}
	for i, b := range base {
		for range 50 {
			d := jobs.Backoff(i + 1)
			if d < b*8/10 || d > b*12/10 {
				t.Fatalf("Backoff(%d) = %s, want %s ±20%%", i+1, d, b)
			}
		}
	}
}

// TestKilledRunnerLosesNoJob kills a process running jobs with SIGKILL in
// the middle of the queue, then starts another: once the dead one's leases
// run out, every job is carried out — some twice (at least once), none
// lost, none dead.
func TestKilledRunnerLosesNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		s := open(t, dsn)
		db := rawDB(t, dsn)
		read, write := db, db
		if _, err := write.Exec("CREATE TABLE job_log (job_id BIGINT NOT NULL, pid BIGINT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		const n = 400
		ids := enqueue(t, s, "test.record", n, 3)
		logged := func() (rows, distinct int) {
			if err := read.QueryRow("SELECT count(*), count(DISTINCT job_id) FROM job_log").Scan(&rows, &distinct); err != nil {
				t.Fatal(err)
			}
			return rows, distinct
		}

		first := spawn(t, dsn)
		waitFor(t, "the first process to carry out 50 jobs", 30*time.Second, func() bool { _, d := logged(); return d >= 50 })
		if err := first.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		first.Wait()
		_, before := logged()
		if before >= n {
			t.Fatalf("the first process finished all %d jobs before it was killed", n)
		}
		running := 0
		for _, j := range pending(t, s, "test.record") {
			if j.State == jobs.Running {
				running++
			}
		}
		t.Logf("killed with %d of %d jobs done and %d leased", before, n, running)

		second := spawn(t, dsn)
		waitFor(t, "the second process to finish the queue", 60*time.Second, func() bool {
			return len(pending(t, s, "test.record")) == 0
		})
		second.Process.Signal(syscall.SIGKILL)
		second.Wait()
		rows, distinct := logged()
		if distinct != n {
			t.Fatalf("%d of %d jobs carried out", distinct, n)
		}
		var lost int
		for _, id := range ids {
			var c int
			if err := read.QueryRow("SELECT count(*) FROM job_log WHERE job_id = $1", id).Scan(&c); err != nil {
				t.Fatal(err)
			}
			if c == 0 {
				lost++
			}
		}
		if lost > 0 {
			t.Fatalf("%d jobs lost", lost)
		}
		t.Logf("%d jobs carried out %d times in all (%d again after the kill)", n, rows, rows-n)
	})
}

// spawn starts this test binary as a job-running child process on dsn.
func spawn(t *testing.T, dsn string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEADBOX_JOBS_CHILD="+dsn)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// child is the process TestKilledRunnerLosesNoJob starts: a runner whose
// handler writes the job's id to job_log, in a transaction of its own,
// after a few milliseconds of work.
func child(dsn string) int {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer s.Close()
	write, err := sqlOpen(dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer write.Close()
	pid := os.Getpid()
	r := jobs.NewRunner(s, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), "child")
	r.Timeout, r.Poll, r.Workers, r.Batch = 250*time.Millisecond, 20*time.Millisecond, 4, 100
	r.Handle("test.record", func(ctx context.Context, j jobs.Job) error {
		time.Sleep(5 * time.Millisecond)
		return logJob(ctx, write, j.ID, pid)
	})
	if err := r.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// rawDB is a plain connection pool on the test's database, beside the
// store's, closed when the test ends.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sqlOpen(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqlOpen(dsn string) (*sql.DB, error) {
	if store.IsPostgres(dsn) {
		return sql.Open("pgx", dsn)
	}
	return sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(5000)")
}

func logJob(ctx context.Context, db *sql.DB, id int64, pid int) error {
	_, err := db.ExecContext(ctx, "INSERT INTO job_log (job_id, pid) VALUES ($1, $2)", id, pid)
	return err
}

// TestLeadEventsAreBornLeased: the lead.created jobs of leads this process
// creates are leased to its runner as they are written and handed over
// after the commit, carried out once each without a claim; when the runner
// stops before carrying them out, another runner gets them once their
// leases run out.
func TestLeadEventsAreBornLeased(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		s := open(t, dsn)
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		src, err := s.CreateSource(ctx, lead.Source{AccountID: acc.ID, Name: "Site", Type: lead.SourceWebhook})
		if err != nil {
			t.Fatal(err)
		}
		create := func(n int) []int64 {
			ids := make([]int64, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					phone := fmt.Sprintf("7999%07d", rand.IntN(10_000_000))
					out, err := s.CreateLead(ctx, store.Intake{Source: src, Input: lead.Input{Phone: &phone},
						Delivery: lead.Delivery{Method: "POST", Body: []byte("{}")},
						Render:   func(*lead.Lead) ([]byte, error) { return []byte("{}"), nil }})
					if err != nil {
						t.Error(err)
						return
					}
					ids[i] = out.Lead.ID
				})
			}
			wg.Wait()
			return ids
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		unborn := 0
		handle := func(_ context.Context, j jobs.Job) error {
			mu.Lock()
			defer mu.Unlock()
			seen[*j.LeadID]++
			if !strings.HasSuffix(j.Worker, "#born") || j.Attempts != 1 {
				unborn++
			}
			return nil
		}
		r := jobs.NewRunner(s, quiet(), "first")
		r.Poll = time.Hour // only what is handed over
		r.Handle(jobs.LeadCreated, handle)
		stop := start(t, r)
		time.Sleep(200 * time.Millisecond) // attached
		ids := create(200)
		waitFor(t, "200 events", 10*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == 200
		})
		waitFor(t, "the queue to empty", 10*time.Second, func() bool { return len(pending(t, s, jobs.LeadCreated)) == 0 })
		mu.Lock()
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("lead %d: its event ran %d times", id, seen[id])
			}
		}
		if unborn > 0 {
			t.Errorf("%d events were claimed, not handed over", unborn)
		}
		clear(seen)
		mu.Unlock()

		// Born to a runner that stops while it runs the first of them: its
		// stop hands the others back at once.
		started, release := make(chan struct{}, 30), make(chan struct{})
		r2 := jobs.NewRunner(s, quiet(), "second")
		r2.Workers, r2.Poll, r2.Timeout = 1, time.Hour, 10*time.Second
		r2.Handle(jobs.LeadCreated, func(ctx context.Context, j jobs.Job) error {
			started <- struct{}{}
			<-release
			return nil
		})
		stop()
		stop2 := start(t, r2)
		time.Sleep(200 * time.Millisecond) // attached
		ids = create(30)
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the second runner started none of the 30")
		}
		go func() { time.Sleep(100 * time.Millisecond); close(release) }()
		stop2() // returns once the try under way has ended
		if n := len(started); n != 0 {
			t.Fatalf("%d more tries started after the stop", n)
		}
		for _, j := range pending(t, s, jobs.LeadCreated) {
			if j.State != jobs.Queued || j.Attempts != 0 {
				t.Errorf("job %d handed back as %s after %d tries", j.ID, j.State, j.Attempts)
			}
		}
		// A runner of another Store (another process) gets the rest.
		other := open(t, dsn)
		r3 := jobs.NewRunner(other, quiet(), "third")
		r3.Poll, r3.Linger = 20*time.Millisecond, time.Millisecond
		r3.Handle(jobs.LeadCreated, handle)
		start(t, r3)
		waitFor(t, "the other runner to finish them", 10*time.Second, func() bool { return len(pending(t, s, jobs.LeadCreated)) == 0 })
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 29 {
			t.Errorf("the other runner ran %d events, want the 29 the stopped one never started", len(seen))
		}
	})
}

// TestAnyErrorIsRecorded: an error that is not valid text (a NUL, bytes
// that are not UTF-8, as a receiver's answer may hold) is recorded cleaned,
// and the runner goes on with the next jobs.
func TestAnyErrorIsRecorded(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := open(t, storetest.DSN(t, engine))
		r := jobs.NewRunner(s, quiet(), "test")
		r.Poll, r.Linger, r.Record = 10*time.Millisecond, time.Millisecond, 10*time.Millisecond
		r.Handle("test.garbled", func(context.Context, jobs.Job) error { return errors.New("bad\x00answer \xff\xfe") })
		r.Handle("test.fine", func(context.Context, jobs.Job) error { return nil })
		id := enqueue(t, s, "test.garbled", 1, 1)[0]
		start(t, r)
		waitFor(t, "the garbled job to die", 5*time.Second, func() bool {
			p := pending(t, s, "test.garbled")
			return len(p) == 1 && p[0].State == jobs.Dead
		})
		j := pending(t, s, "test.garbled")[0]
		if j.ID != id || j.LastError == nil || *j.LastError != "badanswer \uFFFD" {
			t.Fatalf("recorded error %q", *j.LastError)
		}
		enqueue(t, s, "test.fine", 3, 3)
		waitFor(t, "the next jobs", 5*time.Second, func() bool { return len(pending(t, s, "test.fine")) == 0 })
	})
}
