//go:build fault

package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSQLiteDiskFull proves that a full disk costs availability, never a
// lead: with the SQLite file on a small tmpfs filled to the last byte,
// leadbox answers 503 with Retry-After (never 500, never 201 for a lead it
// did not save); once space is freed it saves leads again without a restart,
// and every lead answered 201 is in the file.
func TestSQLiteDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		ciRequired(t, "the full-disk test mounts a tmpfs and needs root")
	}
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", mnt).CombinedOutput(); err != nil {
		ciRequired(t, "mount tmpfs: "+err.Error()+": "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	dsn := filepath.Join(mnt, "leadbox.db")
	srv := startServer(t, dsn)
	srcID, path := createSource(t, dsn)
	url := srv.url + path
	c := newClient(20, 30*time.Second)
	gen := newLeads()
	comment := strings.Repeat("Перезвоните после обеда, пожалуйста. ", 100) // about 6 KB a lead

	var mu sync.Mutex
	answered := map[string]int64{}
	counts := map[string]map[string]int{}
	// load sends n leads from 20 senders and counts the answers under phase.
	load := func(phase string, n int) {
		mu.Lock()
		counts[phase] = map[string]int{}
		mu.Unlock()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				for range n / 20 {
					tag, body := gen.next()
					var m map[string]any
					json.Unmarshal(body, &m)
					m["comment"] = comment
					body, _ = json.Marshal(m)
					r := send(context.Background(), c, url, body, tag)
					mu.Lock()
					switch {
					case r.err != nil:
						counts[phase]["error"]++
						t.Errorf("%s: sender %d: %v", phase, i, r.err)
					case r.status == http.StatusCreated:
						counts[phase]["201"]++
						answered[tag] = created(t, r)
					case r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != "":
						counts[phase]["503"]++
					default:
						counts[phase]["other"]++
						t.Errorf("%s: %s", phase, r)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	load("before", 200)
	if counts["before"]["201"] != 200 {
		t.Fatalf("before the disk filled: %v, want 200 × 201", counts["before"])
	}
	filled := fill(t, filepath.Join(mnt, "filler"))
	load("full", 1000)
	if counts["full"]["503"] == 0 {
		t.Errorf("no 503 with the disk full (%v): did the disk really fill?", counts["full"])
	}
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	freedAt := time.Now()
	var recovered time.Duration = -1
	for attempt := 0; attempt < 100 && time.Since(freedAt) < 10*time.Second; attempt++ {
		tag, body := gen.next()
		r := send(context.Background(), c, url, body, tag)
		if r.status == http.StatusCreated {
			answered[tag] = created(t, r)
			recovered = time.Since(freedAt)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if recovered < 0 {
		t.Fatalf("no 201 within 10 s of freeing space\n%s", srv.out.Tail())
	}
	load("after", 200)
	if counts["after"]["201"] != 200 {
		t.Errorf("after freeing space: %v, want 200 × 201", counts["after"])
	}
	srv.stop()
	integrityCheck(t, dsn)
	stored := checkReadBack(t, openDB(t, "sqlite", dsn), srcID, answered)
	t.Logf("16 MB tmpfs, %d KB filler: before %v; full %v; first 201 %v after freeing space; after %v; %d answered 201, %d stored; integrity ok",
		filled>>10, counts["before"], counts["full"], recovered.Round(time.Millisecond), counts["after"], len(answered), stored)
}

// fill writes path until the file system is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for i := 0; i < 1<<16; i++ {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			// Smaller writes take what is left of the last block.
			for j := 0; j < 1<<10; j++ {
				k, err = f.Write(buf[:512])
				n += int64(k)
				if err != nil {
					break
				}
			}
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the file system never filled")
	return n
}
