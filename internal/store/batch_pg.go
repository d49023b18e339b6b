package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"leadbox/internal/lead"
)

// PostgreSQL group commit. The writer runs a group in one transaction on one
// connection, in three pipelines (pgx batches), so a group of any size costs
// three round trips instead of ten per lead:
//
//  1. BEGIN; the advisory locks of every contact of the group, sorted (two
//     processes lock in the same order and never deadlock; a lead with the
//     same phone in another process waits for this commit, so firstId and
//     otherCount stay exact); the group's Idempotency-Keys; the reference ids
//     its leads name or default to.
//  2. per request, in arrival order, one statement: its delivery-log row and
//     its lead, with the duplicate lookup inside the INSERT. Each statement
//     sees the leads of the statements before it, as one request after
//     another would.
//  3. the Idempotency-Keys of the new leads with their rendered answers;
//     the NOTIFYs waiting; COMMIT.
//
// A request refused by its fields (a reference id of another account, a key
// used with another body) is answered alone after step 1 and never written.
// A statement that fails in step 2 or 3 aborts the transaction: it is rolled
// back, the request that owns the statement gets the error, and the group runs
// again without it.

// pgLockSQL takes the advisory locks of the keys in array order.
const pgLockSQL = "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k"

// pgNotifySQL announces leads to every process listening (see ListenLeads);
// inside a transaction, PostgreSQL delivers them at COMMIT.
const pgNotifySQL = "SELECT pg_notify('leadbox_leads_' || current_schema(), p) FROM unnest($1::text[]) AS p"

// pgLeadSkip marks the leadInsertColumns that pgLeadInsert computes in SQL
// instead of taking them from leadArgs.
var pgLeadSkip = func() map[int]bool {
	skip := map[int]bool{}
	for i, c := range strings.Split(leadInsertColumns, ",") {
		switch strings.TrimSpace(c) {
		case "first_id", "other_count", "delivery_id":
			skip[i] = true
		}
	}
	return skip
}()

// pgLeadInserts caches pgLeadInsert's statements by delivery statement.
var pgLeadInserts sync.Map

// pgLeadInsert returns one statement that writes a request's delivery-log
// row (the statement deliveryInsert gave, with its nArgs arguments first) and
// its lead: insertLead with the duplicate lookup folded in. first_id and
// other_count come from the same UNION of two index lookups as duplicates(),
// delivery_id from the delivery. Its arguments are the delivery's, then
// pgLeadArgs; it returns the lead's id, first_id, other_count and delivery_id.
func pgLeadInsert(delivery string, nArgs int) string {
	if q, ok := pgLeadInserts.Load(delivery); ok {
		return q.(string)
	}
	cols := strings.Split(leadInsertColumns, ",")
	vals := make([]string, len(cols))
	pos := map[string]int{}
	n := nArgs
	for i, c := range cols {
		c = strings.TrimSpace(c)
		switch c {
		case "first_id":
			vals[i] = "dup.first"
		case "other_count":
			vals[i] = "dup.n"
		case "delivery_id":
			vals[i] = "d.id"
		default:
			n++
			vals[i] = "$" + strconv.Itoa(n)
			pos[c] = n
		}
	}
	p := func(c string) string { return "$" + strconv.Itoa(pos[c]) }
	dup := "(SELECT min(id) AS first, count(*) AS n FROM (" +
		"SELECT id FROM leads WHERE account_id = " + p("account_id") + " AND phone = " + p("phone") + " AND deleted_at IS NULL UNION " +
		"SELECT id FROM leads WHERE account_id = " + p("account_id") + " AND email_key = " + p("email_key") + " AND deleted_at IS NULL) u) dup"
	q := "WITH d AS (" + delivery + ") INSERT INTO leads (" + leadInsertColumns + ") SELECT " + strings.Join(vals, ", ") +
		" FROM d, " + dup + " RETURNING id, first_id, other_count, delivery_id"
	pgLeadInserts.Store(delivery, q)
	return q
}

func pgLeadArgs(l *lead.Lead, emailKey *string) []any {
	all := leadArgs(l, emailKey)
	args := make([]any, 0, len(all))
	for i, a := range all {
		if !pgLeadSkip[i] {
			args = append(args, a)
		}
	}
	return args
}

// pgItem is one request of a group on its way through the pipelines.
type pgItem struct {
	j        *job
	l        lead.Lead
	emailKey *string
	d        lead.Delivery
	replay   *Outcome // the request repeats a stored Idempotency-Key
	refused  error    // answered without writing anything
	body     []byte
}

func (it *pgItem) writes() bool  { return it.refused == nil }
func (it *pgItem) newLead() bool { return it.refused == nil && it.replay == nil }

// runPostgres commits one group and answers each of its requests.
func (b *batcher) runPostgres(group []*job) {
	// The group ends by the earliest deadline of its requests: when the
	// database is stuck (a lock, an outage), each sender gets its 503 in
	// time rather than after batchTimeout.
	deadline := time.Now().Add(batchTimeout)
	live := make([]*job, 0, len(group))
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = err // the sender has gone; nothing was started
			continue
		}
		if d, ok := j.ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		live = append(live, j)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	notes := b.takeNotes()
	if len(live) == 0 {
		if len(notes) > 0 {
			b.pgNotes(ctx, notes)
		}
		for _, j := range group {
			close(j.done)
		}
		return
	}
	for {
		bad, err := b.pgGroup(ctx, live, notes)
		if err == nil {
			break
		}
		if bad < 0 {
			for _, j := range live {
				j.out, j.err = Outcome{}, err
			}
			break
		}
		live[bad].out, live[bad].err = Outcome{}, err
		live = slices.Delete(live, bad, bad+1)
	}
	for _, j := range group {
		close(j.done)
	}
}

// pgGroup runs the group on a connection of the pool. It returns nil when
// the group committed and every job has its answer; otherwise the error and
// the index of the job it belongs to, or -1 when it belongs to all.
func (b *batcher) pgGroup(ctx context.Context, jobs []*job, notes []string) (bad int, err error) {
	conn, err := b.s.write.Conn(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	rawErr := conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		bad, err = b.pgTx(ctx, pc, jobs, notes)
		if err == nil {
			return nil
		}
		if pc.IsClosed() {
			return driver.ErrBadConn
		}
		if pc.PgConn().TxStatus() != 'I' {
			if _, rerr := pc.Exec(ctx, "ROLLBACK"); rerr != nil {
				return driver.ErrBadConn // the connection's state is unknown: never reuse it
			}
		}
		return nil
	})
	if err == nil && rawErr != nil {
		return -1, rawErr
	}
	return bad, err
}

// pgTx is one attempt at the group's transaction.
func (b *batcher) pgTx(ctx context.Context, pc *pgx.Conn, jobs []*job, notes []string) (int, error) {
	now := b.s.now()
	items := make([]pgItem, len(jobs))
	for i, j := range jobs {
		items[i] = pgItem{j: j, l: newLead(j.in, now), d: j.in.Delivery}
		items[i].emailKey = emailKeyOf(items[i].l.Email)
		items[i].d.Received = now.UnixMilli()
	}
	if err := b.pgLookups(ctx, pc, items, now); err != nil {
		return -1, err
	}

	// 2: the deliveries and the leads.
	var bt pgx.Batch
	var owners []int
	for i := range items {
		it := &items[i]
		if !it.writes() {
			continue
		}
		q, args := deliveryInsert(&it.d, it.j.in.Source, it.j.in.Idem)
		if it.newLead() {
			q, args = pgLeadInsert(q, len(args)), append(args, pgLeadArgs(&it.l, it.emailKey)...)
		}
		bt.Queue(q, args...)
		owners = append(owners, i)
	}
	if bt.Len() == 0 {
		bt.Queue("SELECT 1") // every request was refused; pipeline 3 still commits the notes
		owners = append(owners, -1)
	}
	br := pc.SendBatch(ctx, &bt)
	for _, i := range owners {
		if i < 0 {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return -1, err
			}
			continue
		}
		it := &items[i]
		var err error
		if it.newLead() {
			err = br.QueryRow().Scan(&it.l.ID, &it.l.FirstID, &it.l.OtherCount, &it.d.ID)
			it.l.DeliveryID = &it.d.ID
		} else {
			err = br.QueryRow().Scan(&it.d.ID)
		}
		if err != nil {
			br.Close()
			return b.blame(i, err)
		}
	}
	if err := br.Close(); err != nil {
		return -1, err
	}

	// 3: the answers under their keys, the notes, COMMIT.
	bt = pgx.Batch{}
	owners = owners[:0]
	for i := range items {
		it := &items[i]
		if !it.newLead() {
			continue
		}
		body, err := it.j.in.Render(&it.l)
		if err != nil {
			return i, fmt.Errorf("render lead: %w", err)
		}
		it.body = body
		if idem := it.j.in.Idem; idem != nil {
			bt.Queue(expireIdemSQL, it.j.in.Source.ID, idem.Key, now.Add(-IdempotencyTTL).Unix())
			// No ON CONFLICT: a key another process stored meanwhile fails
			// this statement, and the request retries and replays its answer.
			bt.Queue(insertIdemSQL, it.j.in.Source.ID, idem.Key, idem.BodyHash, 201, body, now.Unix())
			owners = append(owners, i, i)
		}
	}
	if len(notes) > 0 {
		bt.Queue(pgNotifySQL, notes)
		owners = append(owners, -1)
	}
	bt.Queue("COMMIT")
	owners = append(owners, -1)
	br = pc.SendBatch(ctx, &bt)
	for _, i := range owners {
		if _, err := br.Exec(); err != nil {
			br.Close()
			if i >= 0 && b.s.dialect.unique(err) {
				return i, errIdemRace
			}
			if i >= 0 {
				return b.blame(i, err)
			}
			return -1, err
		}
	}
	if err := br.Close(); err != nil {
		return -1, err
	}

	for i := range items {
		it := &items[i]
		switch {
		case it.refused != nil:
			it.j.out, it.j.err = Outcome{}, it.refused
		case it.replay != nil:
			it.j.out, it.j.err = *it.replay, nil
		default:
			it.j.out, it.j.err = Outcome{Lead: it.l, Status: 201, Body: it.body}, nil
		}
	}
	return 0, nil
}

// blame returns a statement's error as the failure of request i alone,
// unless it says the database itself is in trouble.
func (b *batcher) blame(i int, err error) (int, error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && !b.s.dialect.unavailable(err) {
		return i, err
	}
	return -1, err
}

// refKey is one reference id a group's leads name.
type refKey struct {
	field   string
	account int64
	id      int64
}

// pgLookups runs pipeline 1 and decides each request: refused, replayed or
// a new lead with its references checked and defaults applied.
func (b *batcher) pgLookups(ctx context.Context, pc *pgx.Conn, items []pgItem, now time.Time) error {
	var keys []int64
	refs := map[refKey]bool{}
	var refOrder []refKey
	addRef := func(field string, account int64, id *int64) {
		if id == nil {
			return
		}
		k := refKey{field, account, *id}
		if _, ok := refs[k]; !ok {
			refs[k] = false
			refOrder = append(refOrder, k)
		}
	}
	for i := range items {
		it := &items[i]
		keys = append(keys, contactKeys(it.l.AccountID, it.l.Phone, it.emailKey)...)
		defaults := sourceDefaults(it.j.in.Source)
		for _, r := range leadRefs(&it.l) {
			addRef(r.field, it.l.AccountID, *r.id)
			addRef(r.field, it.l.AccountID, defaults[r.field])
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)

	var bt pgx.Batch
	bt.Queue("BEGIN")
	if len(keys) > 0 {
		bt.Queue(pgLockSQL, keys)
	}
	expired := now.Add(-IdempotencyTTL).Unix()
	for i := range items {
		if idem := items[i].j.in.Idem; idem != nil {
			bt.Queue(findIdemSQL, items[i].j.in.Source.ID, idem.Key, expired)
		}
	}
	for _, k := range refOrder {
		q, args := refQuery(k.field, k.account, k.id)
		bt.Queue(q, args...)
	}
	br := pc.SendBatch(ctx, &bt)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if len(keys) > 0 {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("lock contacts: %w", err)
		}
	}
	type srcKey struct {
		source int64
		key    string
	}
	seen := map[srcKey]bool{}
	for i := range items {
		it := &items[i]
		idem := it.j.in.Idem
		if idem == nil {
			continue
		}
		var hash string
		var status int
		var body []byte
		err := br.QueryRow().Scan(&hash, &status, &body)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			k := srcKey{it.j.in.Source.ID, idem.Key}
			if seen[k] {
				it.refused = errIdemRace // twice in one group: the second replays the first after COMMIT
			}
			seen[k] = true
		case err != nil:
			return fmt.Errorf("find idempotency key: %w", err)
		default:
			if it.replay, err = idemAnswer(*idem, hash, status, body); err != nil {
				it.replay, it.refused = nil, err
				continue
			}
			it.d.Status, it.d.Replayed = it.replay.Status, true
		}
	}
	for _, k := range refOrder {
		var n int
		if err := br.QueryRow().Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", k.field, err)
		}
		refs[k] = n > 0
	}
	if err := br.Close(); err != nil {
		return err
	}

	lookup := func(field string, account, id int64) (bool, error) {
		return refs[refKey{field, account, id}], nil
	}
	for i := range items {
		it := &items[i]
		if !it.newLead() {
			continue
		}
		if err := checkRefsWith(&it.l, lookup); err != nil {
			it.refused = err
			continue
		}
		if err := applyDefaultsWith(&it.l, it.j.in.Source, lookup); err != nil {
			it.refused = err
			continue
		}
		it.d.Status = 201
	}
	return nil
}

// pgNotes sends notes outside any group, when no lead is waiting.
func (b *batcher) pgNotes(ctx context.Context, notes []string) {
	_, _ = b.s.write.ExecContext(ctx, pgNotifySQL, notes)
}

// takeNotes returns the NOTIFY payloads waiting and forgets them.
func (b *batcher) takeNotes() []string {
	b.notesMu.Lock()
	defer b.notesMu.Unlock()
	n := b.notes
	b.notes = nil
	return n
}

// maxNotes bounds the payloads waiting; live updates are a courtesy, and an
// inbox that misses one catches up at its next fetch.
const maxNotes = 10000

// notify queues a NOTIFY payload for the writer's next transaction and wakes
// the writer if it is idle.
func (b *batcher) notify(payload string) {
	b.notesMu.Lock()
	if len(b.notes) < maxNotes {
		b.notes = append(b.notes, payload)
	}
	b.notesMu.Unlock()
	select {
	case b.poke <- struct{}{}:
	default:
	}
}
