package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackupUnderLoad: a backup taken while webhook posts keep arriving
// holds every lead answered 201 before it began, passes integrity_check and
// serves; a restore is refused while the server has the database open and
// works once it has stopped.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "live.db")
	copyPath := filepath.Join(dir, "copy.db")
	env := environ(nil)
	srv := startServer(t, dsn, env)
	var src sourceOut
	cliJSON(t, env, &src, "source", "create", "--name", "Load", "--db", dsn, "--base-url", srv.url)

	// Bounded load: 4 senders, at most 500 posts each and 30 s in all.
	var (
		mu    sync.Mutex
		acked []int64 // ids answered 201, in the order the answers came
	)
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500 && ctx.Err() == nil; i++ {
				r, err := send(client, src.URL, fmt.Sprintf(`{"phone": "7999%d%06d"}`, w, i))
				if err != nil || r.status != 201 {
					t.Errorf("post: %v %d %s", err, r.status, r.body)
					return
				}
				var body struct{ Data struct{ ID int64 } }
				json.Unmarshal(r.body, &body)
				mu.Lock()
				acked = append(acked, body.Data.ID)
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor := func(n int) {
		for count() < n && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(300)
	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	var info struct {
		Path  string
		Bytes int64
		Leads int64
	}
	cliJSON(t, env, &info, "backup", "--db", dsn, "--to", copyPath)
	during := count() - len(before)
	waitFor(count() + 100) // the load went on after the backup
	after := count()
	stop()
	wg.Wait()
	t.Logf("backup %+v: %d leads acknowledged before it began, %d while it ran, %d in all", info, len(before), during, count())
	if after <= len(before)+during {
		t.Fatal("the load stopped before the backup ended; the test shows nothing")
	}
	if info.Path != copyPath || info.Bytes <= 0 || info.Leads < int64(len(before)) {
		t.Fatalf("backup printed %+v, want %s with at least %d leads", info, copyPath, len(before))
	}

	t.Run("restore refused while the server runs", func(t *testing.T) {
		_, err := cli(t, env, "restore", "--from", copyPath, "--db", dsn)
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("restore over a served database: %v, want a refusal", err)
		}
	})

	t.Run("the copy serves and holds every acknowledged lead", func(t *testing.T) {
		cp := startServer(t, copyPath, env)
		var tok struct{ Token string }
		cliJSON(t, env, &tok, "token", "create", "--name", "check", "--db", copyPath)
		got := map[int64]bool{}
		next := cp.url + "/api/v1/leads?limit=500"
		for next != "" {
			r := apiGet(t, next, tok.Token)
			var page struct {
				Data       []struct{ ID int64 }
				NextCursor *string
			}
			if r.status != 200 || json.Unmarshal(r.body, &page) != nil {
				t.Fatalf("GET %s: %d %s", next, r.status, r.body)
			}
			for _, l := range page.Data {
				got[l.ID] = true
			}
			next = ""
			if page.NextCursor != nil {
				next = cp.url + "/api/v1/leads?limit=500&cursor=" + url.QueryEscape(*page.NextCursor)
			}
		}
		if int64(len(got)) != info.Leads {
			t.Errorf("the copy serves %d leads, the backup said %d", len(got), info.Leads)
		}
		for _, id := range before {
			if !got[id] {
				t.Fatalf("lead %d, answered 201 before the backup began, is not in it", id)
			}
		}
		all := map[int64]bool{}
		for _, id := range acked {
			all[id] = true
		}
		for id := range got {
			if !all[id] {
				t.Errorf("the copy has lead %d, which no sender was answered", id)
			}
		}
	})

	t.Run("restore once the server has stopped", func(t *testing.T) {
		if err := srv.stop(); err != nil {
			t.Fatal(err)
		}
		var restored struct{ Leads int64 }
		cliJSON(t, env, &restored, "restore", "--from", copyPath, "--db", dsn)
		if restored.Leads != info.Leads {
			t.Fatalf("restored %d leads, want the backup's %d", restored.Leads, info.Leads)
		}
	})
}

func TestBackupPostgres(t *testing.T) {
	dsn := "postgres://leadbox:secret@127.0.0.1:5432/leadbox?sslmode=disable"
	for _, args := range [][]string{{"backup", "--to", "x"}, {"restore", "--from", "x"}} {
		_, err := cli(t, environ(nil), append(args, "--db", dsn)...)
		if err == nil || !strings.Contains(err.Error(), "pg_") || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s on PostgreSQL: %v, want the pg_dump/pg_restore line without the password", args[0], err)
		}
	}
}

// TestScheduledBackups: the server takes its first backup at start, into
// --backup-dir, and prunes its own backups past --backup-keep, never a file
// it did not write.
func TestScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "live.db")
	bdir := filepath.Join(dir, "backups")
	os.Mkdir(bdir, 0o755)
	env := environ(map[string]string{"LEADBOX_ADMIN_PASSWORD": adminPassword,
		"LEADBOX_BACKUP_DIR": bdir, "LEADBOX_BACKUP_EVERY": "1h", "LEADBOX_BACKUP_KEEP": "2"})
	srv := startServer(t, dsn, env)
	deadline := time.Now().Add(20 * time.Second)
	var names []string
	for len(names) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		names, _ = filepath.Glob(filepath.Join(bdir, "leadbox-*.db"))
	}
	if len(names) != 1 {
		t.Fatalf("backups after start: %v\n%s", names, srv.stderr)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	t.Run("prune", func(t *testing.T) {
		mine := filepath.Join(bdir, "mine.db")
		os.WriteFile(mine, []byte("x"), 0o600)
		b := &backups{db: dsn, dir: bdir, keep: 2, log: slog.New(slog.DiscardHandler)}
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 3 {
			if err := b.take(context.Background(), base.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		entries, _ := os.ReadDir(bdir)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		want := []string{"leadbox-20300101T010000Z.db", "leadbox-20300101T020000Z.db", "mine.db"}
		if !slices.Equal(got, want) {
			t.Fatalf("backup dir holds %v, want %v", got, want)
		}
	})

	t.Run("refused flags", func(t *testing.T) {
		for _, args := range [][]string{
			{"serve", "--db", dsn, "--backup-dir", filepath.Join(dir, "nowhere")},
			{"serve", "--db", dsn, "--backup-dir", bdir, "--backup-keep", "0"},
			{"serve", "--db", dsn, "--backup-dir", bdir, "--backup-every", "1s"},
			{"serve", "--db", "postgres://u@127.0.0.1/x", "--backup-dir", bdir},
			{"serve", "--db", dsn, "--metrics-allow", "10.0.0.0/33"},
			{"serve", "--db", dsn, "--trusted-proxies", "localhost"},
		} {
			if _, err := cli(t, environ(nil), args...); err == nil {
				t.Errorf("leadbox %s: no error", strings.Join(args, " "))
			}
		}
	})
}
