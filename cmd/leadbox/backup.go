package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"leadbox/internal/store"
)

// backupCmd is `leadbox backup --db FILE --to DEST`: a consistent copy of a
// SQLite database, taken while a server may be writing to it.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("backup", &cfg, getenv, stderr)
	to := fs.String("to", "", "the backup file to write (must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if store.IsPostgres(cfg.DB) {
		return fmt.Errorf("backup: the database is PostgreSQL: back it up with pg_dump, e.g.\n  %s", pgDumpLine(cfg.DB))
	}
	if *to == "" {
		return errors.New("backup: --to is required")
	}
	info, err := store.BackupSQLite(ctx, cfg.DB, *to)
	if err != nil {
		return err
	}
	return printJSON(stdout, info)
}

// restoreCmd is `leadbox restore --from FILE --db DEST`.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flagSet("restore", &cfg, getenv, stderr)
	from := fs.String("from", "", "the backup file to restore from")
	if err := parse(fs, args); err != nil {
		return err
	}
	if store.IsPostgres(cfg.DB) {
		return fmt.Errorf("restore: the database is PostgreSQL: restore a pg_dump with pg_restore, e.g.\n  %s", pgRestoreLine(cfg.DB))
	}
	if *from == "" {
		return errors.New("restore: --from is required")
	}
	info, err := store.RestoreSQLite(ctx, *from, cfg.DB)
	if err != nil {
		return err
	}
	return printJSON(stdout, info)
}

// pgDumpLine and pgRestoreLine show the command for dsn, its password
// left out: pg_dump reads it from PGPASSWORD or ~/.pgpass.
func pgDumpLine(dsn string) string {
	return fmt.Sprintf("pg_dump --format=custom --file=leadbox-$(date -u +%%Y%%m%%dT%%H%%M%%SZ).dump '%s'", noPassword(dsn))
}

func pgRestoreLine(dsn string) string {
	return fmt.Sprintf("pg_restore --clean --if-exists --no-owner --dbname='%s' leadbox-YYYYMMDDTHHMMSSZ.dump", noPassword(dsn))
}

func noPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://USER@HOST/DB"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// choreBackup is the server's scheduled backup, a periodic job: the queue
// keeps its schedule across restarts (a server restarted every hour still
// backs up every --backup-every, not at every start) and runs it once at a
// time across the processes sharing the database.
const choreBackup = "chore.backup"

// backups takes the scheduled backups of one server. The job only starts
// one: a try is bounded by the runner's Timeout (a minute), and a large
// database takes longer to copy; cut short, it would fail every time. So
// the copy runs on here, one at a time, until the server stops, and its
// outcome is logged.
type backups struct {
	db, dir string
	keep    int
	log     *slog.Logger
	done    func(time.Time) // told of each backup written, for /metrics

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// backupName matches the files the server writes, and only those: pruning
// never touches a file someone else put in the directory.
var backupName = regexp.MustCompile(`^leadbox-\d{8}T\d{6}Z\.db$`)

// start begins a backup unless one is running; it runs until it is done or
// ctx ends.
func (b *backups) start(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		b.log.Warn("backup: the previous one is still running; skipped")
		return
	}
	b.running = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		err := b.take(ctx, time.Now())
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			b.log.Error("backup failed", "err", err)
		}
	}()
}

// wait waits for a backup under way (cancel its context first to stop it).
func (b *backups) wait() { b.wg.Wait() }

// take writes one backup named for now and prunes the oldest past keep.
func (b *backups) take(ctx context.Context, now time.Time) error {
	dest := filepath.Join(b.dir, "leadbox-"+now.UTC().Format("20060102T150405Z")+".db")
	info, err := store.BackupSQLite(ctx, b.db, dest)
	if err != nil {
		return err
	}
	if b.done != nil {
		b.done(now)
	}
	b.log.Info("backup written", "path", info.Path, "bytes", info.Bytes, "leads", info.Leads, "seconds", info.Secs)
	return b.prune()
}

// prune removes the oldest of the server's backups past keep.
func (b *backups) prune() error {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return fmt.Errorf("backup: prune: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // the names sort as their times do
	var errs []error
	for _, n := range names[:max(0, len(names)-b.keep)] {
		if err := os.Remove(filepath.Join(b.dir, n)); err != nil {
			errs = append(errs, err)
		} else {
			b.log.Info("backup removed", "path", filepath.Join(b.dir, n))
		}
	}
	return errors.Join(errs...)
}

// checkBackupConfig says what is wrong with the scheduled-backup flags.
func checkBackupConfig(cfg Config) error {
	if cfg.BackupDir == "" {
		return nil
	}
	if store.IsPostgres(cfg.DB) {
		return fmt.Errorf("--backup-dir: scheduled backups are SQLite's; back PostgreSQL up with pg_dump, e.g.\n  %s", pgDumpLine(cfg.DB))
	}
	if cfg.BackupEvery < time.Minute {
		return fmt.Errorf("--backup-every %s: want at least 1m", cfg.BackupEvery)
	}
	if cfg.BackupKeep < 1 {
		return fmt.Errorf("--backup-keep %d: want at least 1", cfg.BackupKeep)
	}
	st, err := os.Stat(cfg.BackupDir)
	if err != nil {
		return fmt.Errorf("--backup-dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("--backup-dir %s: not a directory", cfg.BackupDir)
	}
	return nil
}
