package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// eraseTx runs fn in a write transaction whose deletions leave nothing
// behind in the file: on SQLite with secure_delete on the writer's
// connection (freed cells and pages are zeroed), for this transaction only
// — the pipeline's deletions (done jobs, merged index segments) would pay
// for it otherwise. The pipeline waits for the connection meanwhile, as it
// waits for any write.
func (s *Store) eraseTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.dialect.name != "sqlite" {
		return s.retryTx(ctx, fn)
	}
	return s.secureConn(ctx, func(conn *sql.Conn) error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return s.wrap(fmt.Errorf("begin: %w", err))
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return s.wrap(err)
		}
		return s.wrap(tx.Commit())
	})
}

// secureConn runs fn on the SQLite writer's connection with secure_delete on.
func (s *Store) secureConn(ctx context.Context, fn func(conn *sql.Conn) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return s.wrap(fmt.Errorf("erase: connection: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
		return s.wrap(fmt.Errorf("erase: secure_delete: %w", err))
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA secure_delete = OFF")
	return fn(conn)
}

// purgeTables are the tables an erasure changes, vacuumed on PostgreSQL.
var purgeTables = []string{"leads", "clients", "deliveries", "idempotency_keys", "lead_events", "jobs", "lead_notes", "tasks", "import_files", "saved_filters"}

// purge clears the engine's own copies of what an erasure changed. SQLite:
// the search index's segments still hold the old trigrams until merged
// ('optimize', under secure_delete), and the WAL holds the old pages until
// a checkpoint copies the new ones into the file and truncates it.
// PostgreSQL: VACUUM removes the old row versions and their index entries
// (the space is reused, not zeroed: the data files may keep the bytes until
// overwritten, and the WAL and its archives keep them — see README).
func (s *Store) purge(ctx context.Context) error {
	if s.dialect.name == "postgres" {
		for _, t := range purgeTables {
			if _, err := s.write.ExecContext(ctx, "VACUUM "+t); err != nil {
				return fmt.Errorf("purge: vacuum %s: %w", t, err)
			}
		}
		return nil
	}
	return s.secureConn(ctx, func(conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, "INSERT INTO leads_search (leads_search) VALUES ('optimize')"); err != nil {
			return fmt.Errorf("purge: search index: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "VACUUM"); err != nil {
			return fmt.Errorf("purge: vacuum: %w", err)
		}
		return checkpoint(ctx, conn)
	})
}

// PurgeNowBytes is the largest SQLite file an erasure rewrites right away.
// VACUUM holds the writer while it runs, about 8 ms per MB (measured: 4 s at
// 467 MB, 600,000 leads), and a webhook request waits for the writer 3 s at
// most: a larger file is rewritten by PurgeErased at night instead, and its
// erasures say so (Purged nil) until then. PostgreSQL's VACUUM blocks no
// writes and always runs at once.
const PurgeNowBytes = 128 << 20

// SetPurgeNowBytes replaces PurgeNowBytes, for tests.
func (s *Store) SetPurgeNowBytes(n int64) { s.purgeNow.Store(n) }

// purgeAfter clears the engine's copies after the erasures, unless the
// SQLite file is too large to rewrite now; it returns when it did.
func (s *Store) purgeAfter(ctx context.Context, ids ...int64) *int64 {
	if s.dialect.name == "sqlite" {
		var size int64
		limit := s.purgeNow.Load()
		if limit == 0 {
			limit = PurgeNowBytes
		}
		err := s.read.QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size").Scan(&size)
		if err != nil || size > limit {
			return nil
		}
	}
	at, err := s.purgeErased(ctx, ids)
	if err != nil {
		return nil
	}
	return at
}

// purgeErased clears the engine's copies and records it on the erasures.
func (s *Store) purgeErased(ctx context.Context, ids []int64) (*int64, error) {
	if err := s.purge(ctx); err != nil {
		return nil, s.wrap(err)
	}
	now := s.now().Unix()
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE erasures SET purged_at = $1 WHERE purged_at IS NULL AND "+s.in("id", 2), now, s.dialect.idsArg(ids))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &now, nil
}

// PurgeErased clears the engine's copies for every erasure still waiting
// for it (a large SQLite file's, or one whose purge failed) and returns
// how many there were.
func (s *Store) PurgeErased(ctx context.Context) (int, error) {
	ids, err := idList(ctx, s.read, "SELECT id FROM erasures WHERE purged_at IS NULL")
	if err != nil || len(ids) == 0 {
		return 0, s.wrap(err)
	}
	_, err = s.purgeErased(ctx, ids)
	return len(ids), err
}

// checkpoint copies the WAL into the database file and truncates it,
// waiting a little for readers of older snapshots to finish. It holds the
// write lock while it waits (busy_timeout each try), so it gives up soon: a
// long reader (an export) leaves the erasure unpurged, for PurgeErased.
func checkpoint(ctx context.Context, conn *sql.Conn) error {
	for attempt := 0; ; attempt++ {
		var busy, logged, done int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
			return fmt.Errorf("purge: checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if attempt == 2 {
			return errors.New("purge: checkpoint: readers kept the WAL busy")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Retention of raw requests. An account with raw_retention_days keeps each
// raw request (the delivery log's body, query string, fields as read and
// the sender's address) that long; EraseOldRequests, run by a chore, blanks
// older ones and writes an erasure record of kind "retention" per account
// and run.

// retentionChunk is how many delivery-log rows one transaction blanks.
const retentionChunk = 2000

// AccountRetention returns how many days the account keeps raw requests; 0
// keeps them.
func (s *Store) AccountRetention(ctx context.Context, accountID int64) (int, error) {
	var days int
	err := s.read.QueryRowContext(ctx, "SELECT raw_retention_days FROM accounts WHERE id = $1", accountID).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("account")
	}
	return days, s.wrap(err)
}

// SetAccountRetention sets how many days the account keeps raw requests.
func (s *Store) SetAccountRetention(ctx context.Context, accountID int64, days int) error {
	if days < 0 || days > lead.MaxRetentionDays {
		return lead.Errorf(lead.EInvalid, "rawRetentionDays", lead.MsgRetentionRange, lead.MaxRetentionDays)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE accounts SET raw_retention_days = $1 WHERE id = $2", days, accountID)
		return mustAffect(res, err, "account")
	})
}

// EraseOldRequests blanks every account's raw requests older than its
// retention and returns the records written, one per account that had any.
func (s *Store) EraseOldRequests(ctx context.Context) ([]lead.Erasure, error) {
	type account struct {
		id       int64
		days     int
		erasedTo int64
	}
	rows, err := s.read.QueryContext(ctx, "SELECT id, raw_retention_days, raw_erased_to FROM accounts WHERE raw_retention_days > 0 ORDER BY id")
	if err != nil {
		return nil, s.wrap(fmt.Errorf("retention: %w", err))
	}
	var accounts []account
	for rows.Next() {
		var a account
		if err := rows.Scan(&a.id, &a.days, &a.erasedTo); err != nil {
			rows.Close()
			return nil, s.wrap(err)
		}
		accounts = append(accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	var out []lead.Erasure
	for _, a := range accounts {
		e, err := s.eraseOldRequests(ctx, a.id, a.days, a.erasedTo)
		if err != nil {
			return out, err
		}
		if e.Counts.Deliveries > 0 {
			out = append(out, e)
		}
	}
	if len(out) > 0 {
		ids := make([]int64, len(out))
		for i, e := range out {
			ids[i] = e.ID
		}
		at := s.purgeAfter(ctx, ids...) // one for every account's
		for i := range out {
			out[i].Purged = at
		}
	}
	return out, nil
}

// eraseOldRequests is EraseOldRequests for one account: it reads each
// source's log from the account's mark (raw_erased_to) up to the first
// request newer than the retention, blanks what it passed, and moves the
// mark to the lowest id that must be read again.
func (s *Store) eraseOldRequests(ctx context.Context, accountID int64, days int, erasedTo int64) (lead.Erasure, error) {
	now := s.now()
	cutoff := now.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	e := lead.Erasure{AccountID: accountID, Actor: "leadbox", Kind: lead.ErasureRetention, LeadIDs: []int64{},
		Reason: fmt.Sprintf("Истёк срок хранения исходных запросов (%d дн.)", days), Created: now.Unix()}
	sources, err := idList(ctx, s.read, "SELECT id FROM sources WHERE account_id = $1", accountID)
	if err != nil {
		return e, s.wrap(fmt.Errorf("retention: %w", err))
	}
	mark, scanned := int64(-1), erasedTo
	var old []int64
	for _, src := range sources {
		ids, newer, err := s.olderThan(ctx, src, erasedTo, cutoff)
		if err != nil {
			return e, s.wrap(fmt.Errorf("retention: %w", err))
		}
		old = append(old, ids...)
		if newer > 0 && (mark < 0 || newer-1 < mark) {
			mark = newer - 1
		}
		if len(ids) > 0 {
			scanned = max(scanned, ids[len(ids)-1])
		}
	}
	if mark < 0 {
		mark = scanned
	}
	// Each chunk's transaction blanks its rows and keeps the record true to
	// them: the first that blanks any writes it, later ones add to its
	// count, so a run cut short leaves a record of what it did. A chunk
	// counts what its own committed transaction changed, once, however
	// often the transaction ran.
	for len(old) > 0 || mark != erasedTo {
		chunk := old[:min(len(old), retentionChunk)]
		old = old[len(chunk):]
		last := len(old) == 0
		var id, n int64
		err := s.eraseTx(ctx, func(tx *sql.Tx) error {
			id, n = e.ID, 0
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET body = $1, query = '', mapped = NULL, remote_addr = '', notes = '', erased_at = $2
				WHERE account_id = $3 AND erased_at IS NULL AND `+s.in("id", 4), []byte{}, now.Unix(), accountID, s.dialect.idsArg(chunk))
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			switch {
			case n > 0 && id == 0:
				rec := e
				rec.Counts.Deliveries = n
				if err := insertErasure(ctx, tx, &rec); err != nil {
					return err
				}
				id = rec.ID
			case n > 0:
				if _, err := tx.ExecContext(ctx, "UPDATE erasures SET deliveries = deliveries + $1 WHERE id = $2", n, id); err != nil {
					return err
				}
			}
			if !last {
				return nil
			}
			_, err = tx.ExecContext(ctx, "UPDATE accounts SET raw_erased_to = $1 WHERE id = $2", mark, accountID)
			return err
		})
		if err != nil {
			return e, fmt.Errorf("retention: %w", err)
		}
		e.ID = id
		e.Counts.Deliveries += n
		if last {
			break
		}
	}
	return e, nil
}

// olderThan returns the ids of a source's delivery-log rows after id from
// that were received before cutoff (ms), reading up to the first newer
// one, whose id it returns too (0: none).
func (s *Store) olderThan(ctx context.Context, source, from, cutoff int64) (ids []int64, newer int64, err error) {
	for {
		rows, err := s.read.QueryContext(ctx, `SELECT id, received_at, erased_at IS NOT NULL FROM deliveries
			WHERE source_id = $1 AND id > $2 ORDER BY id LIMIT 1000`, source, from)
		if err != nil {
			return nil, 0, err
		}
		n := 0
		for rows.Next() {
			var id, at int64
			var erased bool
			if err := rows.Scan(&id, &at, &erased); err != nil {
				rows.Close()
				return nil, 0, err
			}
			n++
			from = id
			if at >= cutoff {
				newer = id
				break
			}
			if !erased {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		if newer > 0 || n < 1000 {
			return ids, newer, nil
		}
	}
}
