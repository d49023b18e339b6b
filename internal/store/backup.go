package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrInUse is RestoreSQLite's refusal: a process has the database open.
var ErrInUse = errors.New("the database is in use: stop the leadbox server (and every other process using it) first")

// BackupInfo is what a backup or a restore wrote.
type BackupInfo struct {
	Path  string  `json:"path"`
	Bytes int64   `json:"bytes"`
	Leads int64   `json:"leads"`
	Secs  float64 `json:"seconds"`
}

// BackupSQLite writes a copy of the SQLite database at src to dest, which
// must not exist, while other connections (a running server) keep writing.
// VACUUM INTO reads the database in one read transaction, so the copy holds
// exactly what was committed when it began — every lead answered 201 by
// then — and none of what came after. The copy is written under a temporary
// name beside dest, synced, checked (integrity_check), and only then renamed
// to dest: a dest that exists is a whole, checked backup.
func BackupSQLite(ctx context.Context, src, dest string) (BackupInfo, error) {
	start := time.Now()
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("backup: %s exists; name a new file", dest)
	}
	// An empty file is one VACUUM INTO may write to.
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-*")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	tmp.Close()
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // after the rename, there is nothing by that name

	db, err := sql.Open("sqlite", sqliteURI(src, "rw", "busy_timeout(5000)"))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO $1", tmpPath); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: copy %s: %w", src, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	leads, err := checkSQLiteFile(ctx, tmpPath)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: the copy: %w", err)
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	return fileInfo(dest, leads, start)
}

// RestoreSQLite replaces the database at dest (or creates it) with the
// leadbox backup at from, after checking it. It refuses with ErrInUse while
// any connection has dest open: it first takes SQLite's exclusive lock on
// dest (locking_mode EXCLUSIVE, no busy wait), which every open connection
// to a WAL database prevents by the shared lock it holds; then it copies the
// backup in through SQLite's backup API on that same connection, still
// holding the lock, so that no server can open dest half-restored.
func RestoreSQLite(ctx context.Context, from, dest string) (BackupInfo, error) {
	start := time.Now()
	if _, err := os.Stat(from); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	if _, err := checkSQLiteFile(ctx, from); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %s: %w", from, err)
	}
	db, err := sql.Open("sqlite", sqliteURI(dest, "rwc", "busy_timeout(0)", "locking_mode(EXCLUSIVE)"))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return BackupInfo{}, restoreErr(err)
	}
	defer conn.Close()
	// In exclusive locking mode the lock a write transaction takes is kept
	// after it ends, until the connection closes.
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		return BackupInfo{}, restoreErr(err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return BackupInfo{}, restoreErr(err)
	}
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(interface {
			NewRestore(string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("driver %T has no backup API", dc)
		}
		b, err := r.NewRestore(sqliteURI(from, "ro"))
		if err != nil {
			return err
		}
		_, err = b.Step(-1)
		return errors.Join(err, b.Finish())
	})
	if err != nil {
		return BackupInfo{}, restoreErr(err)
	}
	var ok string
	if err := conn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		return BackupInfo{}, fmt.Errorf("restore: %s after the copy: integrity_check: %q %v", dest, ok, err)
	}
	var leads int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM leads").Scan(&leads); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: count leads: %w", err)
	}
	if err := errors.Join(conn.Close(), db.Close()); err != nil {
		return BackupInfo{}, fmt.Errorf("restore: %w", err)
	}
	return fileInfo(dest, leads, start)
}

func restoreErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY {
		return ErrInUse
	}
	return fmt.Errorf("restore: %w", err)
}

// checkSQLiteFile opens path read-only and confirms it is a sound leadbox
// database: integrity_check says ok, and it has migrations and leads. It
// returns how many leads it holds.
func checkSQLiteFile(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", sqliteURI(path, "ro"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return 0, fmt.Errorf("integrity_check: %w", err)
	}
	if ok != "ok" {
		return 0, fmt.Errorf("integrity_check: %s", ok)
	}
	var migrations, leads int64
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM schema_migrations), (SELECT count(*) FROM leads)").Scan(&migrations, &leads); err != nil {
		return 0, fmt.Errorf("not a leadbox database: %w", err)
	}
	return leads, nil
}

// sqliteURI is a file: URI for path opened in mode (ro, rw, rwc) with
// pragmas; a path with '?' or '#' in it stays a path.
func sqliteURI(path, mode string, pragmas ...string) string {
	q := url.Values{}
	q.Set("mode", mode)
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

func fileInfo(path string, leads int64, start time.Time) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return BackupInfo{Path: abs, Bytes: st.Size(), Leads: leads, Secs: time.Since(start).Seconds()}, nil
}
