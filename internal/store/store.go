// Package store is the only package that speaks SQL. It keeps leadbox's data
// in an embedded SQLite file or in PostgreSQL; both engines run the same
// queries, and what differs between them lives in one dialect value.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"leadbox/internal/lead"
)

// Store is leadbox's storage. Writes go through one connection on SQLite (the
// engine allows one writer at a time anyway, and a single writer makes the
// duplicate check race-free); reads use a pool.
type Store struct {
	read    *sql.DB
	write   *sql.DB
	dialect dialect
	now     func() time.Time
	writer  *batcher
	sources sourceCache // SourceByToken's; inTx empties it

	notes       *notifier                   // NotifyLead's, on PostgreSQL
	jobsWritten chan struct{}               // JobsWritten
	local       atomic.Pointer[localRunner] // AttachRunner
	groupSizes  atomic.Pointer[func(int)]   // ObserveGroups
	purgeNow    atomic.Int64                // SetPurgeNowBytes; 0: PurgeNowBytes
}

// IsPostgres reports whether dsn selects PostgreSQL rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database dsn names: a postgres:// URL or a SQLite file
// path. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	// Pragmas live here and nowhere else; the DSN applies them to every new
	// connection. busy_timeout matters when a CLI command writes while the
	// server runs: its writes take milliseconds. It is kept well under the
	// 5 s a form builder waits for an answer (the webhook's own deadline and
	// the delivery-log write after it must both fit).
	q := url.Values{}
	// temp_store(MEMORY): a group commit that runs again one request at a
	// time puts each in a savepoint, whose statement journal would otherwise
	// be a temporary file written a page at a time; multi-row INSERTs keep
	// a statement journal too.
	for _, p := range []string{"busy_timeout(2000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate") // take the write lock at BEGIN, not at the first write
	dsn := "file:" + path + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	q.Set("_txlock", "deferred")
	q.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)

	s := &Store{read: read, write: write, dialect: sqliteDialect, now: time.Now, jobsWritten: make(chan struct{}, 1)}
	s.writer = startBatcher(s)
	if err := s.checkSQLite(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkSQLite confirms the pragmas took: a silently ignored synchronous=FULL
// would make every 201 a lie after a power cut.
func (s *Store) checkSQLite(ctx context.Context) error {
	var mode string
	var syncLevel, fk int
	row := s.write.QueryRowContext(ctx, "SELECT journal_mode, synchronous, foreign_keys FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys")
	if err := row.Scan(&mode, &syncLevel, &fk); err != nil {
		return fmt.Errorf("open sqlite: check pragmas: %w", err)
	}
	if !strings.EqualFold(mode, "wal") || syncLevel != 2 || fk != 1 {
		return fmt.Errorf("open sqlite: pragmas not applied (journal_mode=%s synchronous=%d foreign_keys=%d)", mode, syncLevel, fk)
	}
	return nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// Plan every execution with its own parameters and the table's current
	// size. Otherwise a statement first prepared while a table was empty
	// keeps a generic plan that scans it sequentially, however large it grows
	// (measured: 12M rows read for 4000 leads on a fresh database).
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{read: db, write: db, dialect: postgresDialect, now: time.Now, jobsWritten: make(chan struct{}, 1)}
	s.writer = startBatcher(s)
	s.notes = startNotifier(s)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		s.Close()
		return nil, unavailable(fmt.Errorf("open postgres: %w", err))
	}
	return s, nil
}

// ObserveGroups has fn called with the size of every group commit of leads
// (see batch.go), for metrics. fn runs on the writer: it must be quick.
func (s *Store) ObserveGroups(fn func(size int)) { s.groupSizes.Store(&fn) }

// PoolStats are the connection pools' statistics, by pool: "read" and
// "write" on SQLite, "main" on PostgreSQL (one pool serves both).
func (s *Store) PoolStats() map[string]sql.DBStats {
	if s.read == s.write {
		return map[string]sql.DBStats{"main": s.write.Stats()}
	}
	return map[string]sql.DBStats{"read": s.read.Stats(), "write": s.write.Stats()}
}

// Engine names the storage engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.dialect.name }

// Close closes every connection.
func (s *Store) Close() error {
	if s.writer != nil {
		s.writer.stop()
	}
	if s.notes != nil {
		s.notes.stop()
	}
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable(fmt.Errorf("ping: %w", err))
	}
	return nil
}

// SetClock replaces the store's clock, for tests.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// inTx runs fn in a write transaction and commits, retrying the whole of it
// when the engine reports a transient conflict.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	// Sources change only in these transactions; whatever this one did, the
	// next webhook request reads its source afresh.
	defer s.sources.forget()
	return s.retryTx(ctx, fn)
}

// retryTx is inTx for transactions that never change a source — the job
// queue's — and so leave the webhook's source cache alone: forgetting it
// at every cycle of the runner made the webhook read its sources from the
// database again and again (perf under load: 1.7% of all samples).
func (s *Store) retryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.tryTx(ctx, fn)
		if err == nil || !s.dialect.retryable(err) {
			break
		}
	}
	return s.wrap(err)
}

func (s *Store) tryTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// wrap turns engine failures that mean "try again later" into EUnavailable
// and leaves domain errors alone.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var le *lead.Error
	if errors.As(err, &le) {
		return err
	}
	if s.dialect.unavailable(err) || errors.Is(err, context.DeadlineExceeded) {
		return unavailable(err)
	}
	return err
}

func unavailable(err error) error {
	return &lead.Error{Code: lead.EUnavailable, RetryAfter: 5, Err: err}
}

// notFound is the error for a row that does not exist in the caller's account.
func notFound(what string) error {
	return lead.Errorf(lead.ENotFound, what, "Не найдено.")
}
