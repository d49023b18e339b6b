package ui_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"leadbox/internal/intake"
	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web"
	"leadbox/internal/web/webtest"
)

// exportRSSLimit is the most memory a million-lead export may take: the
// peak resident set (VmHWM) of a process that serves it, runtime, database
// driver and all.
const exportRSSLimit = 150 << 20

// TestExport1M exports a million leads through the inbox, as CSV and as
// XLSX, each in a process of its own that does nothing else — so its peak
// resident set is the export's — and checks the file and the peak. Slow,
// so it runs only when asked, on the database TestInbox1M loads:
//
//	LEADBOX_BENCH_1M=1 LEADBOX_BENCH_1M_REUSE=1 go test -run TestExport1M -v -timeout 60m ./internal/web/ui
//
// (add LEADBOX_TEST_POSTGRES for PostgreSQL; LEADBOX_BENCH_1M_N sets the
// number of leads).
func TestExport1M(t *testing.T) {
	if os.Getenv("LEADBOX_BENCH_1M") != "1" {
		t.Skip("million-lead export skipped: run with LEADBOX_BENCH_1M=1 go test -run TestExport1M -v -timeout 60m ./internal/web/ui")
	}
	n := envInt(t, "LEADBOX_BENCH_1M_N", 1_000_000)
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		b := &bench1M{t: t, engine: engine, n: int64(n)}
		b.prepare()
		var want int64
		if err := b.rawQueryRow("SELECT count(*) FROM leads WHERE deleted_at IS NULL").Scan(&want); err != nil {
			t.Fatal(err)
		}
		b.s.Close()
		for _, format := range []string{"csv", "xlsx"} {
			file := filepath.Join(t.TempDir(), "export."+format)
			cmd := exec.Command(os.Args[0], "-test.run", "^TestExport1MChild$", "-test.v", "-test.timeout", "30m")
			cmd.Env = append(os.Environ(), "LEADBOX_EXPORT_1M_DSN="+b.dsn, "LEADBOX_EXPORT_1M_FORMAT="+format, "LEADBOX_EXPORT_1M_FILE="+file)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s export: %v\n%s", format, err, out)
			}
			i := bytes.Index(out, []byte("EXPORT1M "))
			if i < 0 {
				t.Fatalf("%s export: no report\n%s", format, out)
			}
			var rep exportReport
			line, _, _ := bytes.Cut(out[i+len("EXPORT1M "):], []byte("\n"))
			if err := json.Unmarshal(line, &rep); err != nil {
				t.Fatalf("%s report %s: %v", format, line, err)
			}
			rows := exportRows(t, format, file)
			t.Logf("%s %s: %d rows, %.1f MB in %s (headers after %s); peak RSS %.1f MB (%.1f MB before the export)",
				engine, format, rows, float64(rep.Bytes)/(1<<20), time.Duration(rep.Nanos).Round(100*time.Millisecond),
				time.Duration(rep.FirstNanos).Round(time.Millisecond), float64(rep.HWM)/(1<<20), float64(rep.Before)/(1<<20))
			if rows != want {
				t.Errorf("%s: %d rows, want the %d leads", format, rows, want)
			}
			if rep.HWM > exportRSSLimit {
				t.Errorf("%s: the export's peak RSS is %.1f MB, over %d MB", format, float64(rep.HWM)/(1<<20), exportRSSLimit>>20)
			}
		}
	})
}

type exportReport struct {
	Bytes, Nanos, FirstNanos, HWM, Before int64
}

// exportRows counts a file's leads: its rows less the header.
func exportRows(t *testing.T, format, file string) int64 {
	t.Helper()
	var n int64
	if format == "csv" {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		bom := make([]byte, 3)
		io.ReadFull(f, bom)
		if string(bom) != "\uFEFF" {
			t.Fatalf("the csv starts %q, not with a BOM", bom)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			n++
		}
		return n - 1
	}
	x, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.Rows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			n++
		}
		rows.Close()
		n-- // the sheet's header
	}
	return n
}

// TestExport1MChild is TestExport1M's exporting process: it serves the
// inbox on the loaded database, downloads the export into a file over HTTP
// and reports the bytes, the time and its peak resident set.
func TestExport1MChild(t *testing.T) {
	dsn := os.Getenv("LEADBOX_EXPORT_1M_DSN")
	if dsn == "" {
		t.Skip("run by TestExport1M")
	}
	ctx := t.Context()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(web.NewServer(web.Config{Store: s, Decoder: intake.New(""), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.PostForm(srv.URL+"/login", url.Values{"email": {"admin@example.com"}, "password": {webtest.TestPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	before := vmHWM(t)
	f, err := os.Create(os.Getenv("LEADBOX_EXPORT_1M_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	res, err = c.Get(srv.URL + "/inbox/export?format=" + os.Getenv("LEADBOX_EXPORT_1M_FORMAT"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	first := time.Since(start)
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("export: %d %.300s", res.StatusCode, b)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	nb, err := io.Copy(w, res.Body)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := json.Marshal(exportReport{Bytes: nb, Nanos: int64(time.Since(start)), FirstNanos: int64(first), HWM: vmHWM(t), Before: before})
	fmt.Printf("EXPORT1M %s\n", rep)
}

// vmHWM reads the process's peak resident set, in bytes.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
