package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
)

// The lead pipeline. Every lead is created here, whatever asked for it — a
// webhook request, the API, a manager, re-processing a quarantined request —
// and always by the store's writer (batch.go), which takes the requests
// waiting for it as one group; a single request is a group of one. The plan
// is the same for every group and every engine:
//
//  1. lookups: everything the group's decisions need, asked of the engine at
//     once (engine.lookup): the contacts' locks, Idempotency-Keys, reference
//     ids, the sources' revisions, the duplicates already in the database,
//     the state of re-processed deliveries, and ids for the new rows;
//  2. decide: each request is refused, replayed (a stored Idempotency-Key) or
//     becomes a lead, with its references checked and its source's defaults
//     applied;
//  3. assign: the requests that write get their ids in arrival order, each
//     new lead's duplicates are counted — the lookup's answer plus the
//     group's own earlier leads with its phone or email, as one request
//     after another would have found them — and every row the group writes
//     is built: delivery-log rows, leads, stored answers, history entries,
//     and each new lead's lead.created job (the outbox: internal/jobs);
//  4. the engine writes the rows with a few statements for the whole group
//     and commits (engine.write);
//  5. answer: every request gets its outcome.
//
// What differs between SQLite and PostgreSQL is behind engine, one file each
// (pipeline_sqlite.go, pipeline_pg.go). A step added to lead creation is
// added here, once.

// creation is one lead to create and where it comes from.
type creation struct {
	account int64
	source  *lead.Source // a webhook's source: checked current, its defaults apply
	input   lead.Input

	// A webhook request: its delivery-log row, and its Idempotency-Key.
	delivery *lead.Delivery
	idem     *Idem

	// Re-processing: the quarantined delivery the lead is made from, and the
	// fields as read now, for the delivery log.
	from   *lead.Delivery
	mapped json.RawMessage

	via       string // how it came: "webhook", "api", "reprocess" (its event says)
	createdBy *int64 // the lead's userIdCreate
	actor     *int64 // who asked, for the lead's history
	action    string // the lead's history entry: "" for none

	// render encodes the answer for the new lead. It runs inside the
	// transaction, so that the answer an Idempotency-Key replays is stored
	// with the lead, atomically.
	render func(*lead.Lead) ([]byte, error)
}

// engine is what the pipeline needs of a storage engine, inside the group's
// transaction.
type engine interface {
	// lookup answers a group's lookups, after taking its locks.
	lookup(ctx context.Context, q *lookups) (*found, error)
	// write writes a group's rows; the group commits after it.
	write(ctx context.Context, w *groupRows) error
}

// lookups is everything a group asks the database before deciding.
type lookups struct {
	locks   []int64      // advisory-lock keys, sorted (PostgreSQL: across processes)
	idems   []idemLookup // one per request with an Idempotency-Key, in order
	refs    []refKey     // reference ids named or defaulted to, once each
	sources []int64      // the sources whose revisions to read, sorted
	dups    []dupLookup  // one per request, in order
	origins []originLookup
	// accounts are the accounts of the group's new leads, sorted: their
	// first stages are a new lead's stage when it names none.
	accounts []int64
	// How many ids of each table the group may need: at most one of each
	// per request (a new lead's job among them). An engine may answer with
	// fewer left over.
	nDeliveries, nLeads int
	now                 time.Time
}

type idemLookup struct {
	source int64
	key    string
}

type dupLookup struct {
	account         int64
	phone, emailKey *string
}

// originLookup asks for the state of a delivery being re-processed.
type originLookup struct {
	account, source, delivery int64
	key                       *string // its Idempotency-Key
}

// found is the database's answer to lookups, in the same order.
type found struct {
	idems   []*storedIdem // nil: the key is new (or expired)
	refs    map[refKey]bool
	revs    map[int64]int64 // by source id; a deleted source is absent
	dups    []dupFound
	origins []origin
	// firstStage is each account's first funnel stage; an account without
	// stages is absent.
	firstStage map[int64]int64
	// Ids for the group's new rows, ascending.
	deliveryIDs, leadIDs, jobIDs []int64
}

type storedIdem struct {
	hash   string
	status int
	body   []byte
}

type dupFound struct {
	first *int64
	count int64
}

type origin struct {
	exists      bool
	reprocessed bool // marked re-processed or erased, or a lead points to it
	keyStatus   int  // the status stored for its Idempotency-Key, 0 for none
}

// item is one request of a group on its way to the database.
type item struct {
	r        *request
	c        *creation
	l        lead.Lead
	emailKey *string
	d        lead.Delivery // the new delivery-log row, when c.delivery is set
	replay   *Outcome      // the request repeats a stored Idempotency-Key
	refused  error         // answered without writing anything
	body     []byte
	dup      dupFound // the duplicate lookup's answer: leads committed before
}

func (it *item) newLead() bool { return it.refused == nil && it.replay == nil }

// writesDelivery reports whether the request writes a delivery-log row: a
// webhook request that is not refused (a replay is logged too).
func (it *item) writesDelivery() bool { return it.refused == nil && it.c.delivery != nil }

// refKey is one reference id a group's leads name.
type refKey struct {
	field   string
	account int64
	id      int64
}

// runPlan creates a group's leads on e and answers its requests; the caller
// commits when it returns nil. adopt leases a new job to this process's
// runner when it can (job_local.go).
func runPlan(ctx context.Context, e engine, reqs []*request, now time.Time, adopt adopter) error {
	forgetBorn(reqs)
	items := newItems(reqs, now)
	q := planLookups(items, now)
	f, err := e.lookup(ctx, q)
	if err != nil {
		return err
	}
	decide(items, f)
	w, err := assign(items, f, now, adopt)
	if err != nil {
		return err
	}
	if err := e.write(ctx, &w); err != nil {
		return err
	}
	answer(items)
	return nil
}

func newItems(reqs []*request, now time.Time) []item {
	items := make([]item, len(reqs))
	for i, r := range reqs {
		c := &r.c
		it := item{r: r, c: c, l: newLead(c, now)}
		it.emailKey = emailKeyOf(it.l.Email)
		if c.delivery != nil {
			it.d = *c.delivery
			it.d.Received = now.UnixMilli()
		}
		items[i] = it
	}
	return items
}

// newLead builds the lead a creation asks for; the source's defaults are
// applied later, once the sender's own ids have been checked.
func newLead(c *creation, now time.Time) lead.Lead {
	x := c.input
	l := lead.Lead{
		AccountID:      c.account,
		Name:           x.Name,
		SourceID:       x.SourceID,
		Phone:          x.Phone,
		Email:          x.Email,
		UserIDCreate:   c.createdBy,
		DtCreate:       now.Unix(),
		DtUpdate:       now.Unix(),
		LocationUnitID: x.LocationUnitID,
		LocationCityID: x.LocationCityID,
		FunnelStageID:  x.FunnelStageID,
		UserIDOwner:    x.UserIDOwner,
		Cost:           x.Cost,
		RemoteID:       x.RemoteID,
		Extra:          x.Extra,
	}
	l.SetMarks(x.Marks)
	return l
}

// planLookups lists what the group's decisions need.
func planLookups(items []item, now time.Time) *lookups {
	q := &lookups{now: now}
	seenRef := map[refKey]bool{}
	for i := range items {
		it := &items[i]
		c := it.c
		q.locks = append(q.locks, contactKeys(c.account, it.l.Phone, it.emailKey)...)
		q.dups = append(q.dups, dupLookup{c.account, it.l.Phone, it.emailKey})
		if c.source != nil {
			q.sources = append(q.sources, c.source.ID)
		}
		if c.idem != nil {
			q.idems = append(q.idems, idemLookup{c.source.ID, c.idem.Key})
			q.locks = append(q.locks, lockKey("idem", c.source.ID, c.idem.Key))
		}
		if d := c.from; d != nil {
			q.origins = append(q.origins, originLookup{c.account, d.SourceID, d.ID, d.IdempotencyKey})
			q.locks = append(q.locks, lockKey("delivery", c.account, strconv.FormatInt(d.ID, 10)))
			if d.IdempotencyKey != nil {
				q.locks = append(q.locks, lockKey("idem", d.SourceID, *d.IdempotencyKey))
			}
		}
		if c.delivery != nil {
			q.nDeliveries++
		}
		q.nLeads++ // and as many jobs
		q.accounts = append(q.accounts, c.account)
		defaults := sourceDefaults(c.source)
		for _, r := range leadRefs(&it.l) {
			for _, id := range []*int64{*r.id, defaults[r.field]} {
				if id == nil {
					continue
				}
				if k := (refKey{r.field, c.account, *id}); !seenRef[k] {
					seenRef[k] = true
					q.refs = append(q.refs, k)
				}
			}
		}
	}
	slices.Sort(q.sources)
	q.sources = slices.Compact(q.sources)
	slices.Sort(q.accounts)
	q.accounts = slices.Compact(q.accounts)
	slices.Sort(q.locks)
	q.locks = slices.Compact(q.locks)
	return q
}

// decide refuses the requests whose source has changed since it was read,
// whose Idempotency-Key came with another body, whose delivery is no longer
// quarantined or whose reference ids are not the account's; it finds the
// replays, and applies the sources' defaults to the rest.
func decide(items []item, f *found) {
	refs := func(field string, account, id int64) (bool, error) {
		return f.refs[refKey{field, account, id}], nil
	}
	keys := map[idemLookup]bool{}
	origins := map[int64]bool{}
	nIdem, nOrigin := 0, 0
	for i := range items {
		it := &items[i]
		c := it.c
		it.dup = f.dups[i]
		var stored *storedIdem
		if c.idem != nil {
			stored = f.idems[nIdem]
			nIdem++
		}
		var o origin
		if c.from != nil {
			o = f.origins[nOrigin]
			nOrigin++
		}
		if c.source != nil {
			if rev, ok := f.revs[c.source.ID]; !ok || rev != c.source.Rev {
				it.refused = ErrSourceChanged
				continue
			}
		}
		if c.idem != nil {
			k := idemLookup{c.source.ID, c.idem.Key}
			switch {
			case stored != nil:
				replay, err := idemAnswer(*c.idem, stored.hash, stored.status, stored.body)
				if err != nil {
					it.refused = err
					continue
				}
				it.replay = replay
				it.d.Status, it.d.Replayed = replay.Status, true
			case keys[k]:
				it.refused = errIdemRace // twice in one group: the second replays the first after COMMIT
				continue
			}
			keys[k] = true
		}
		var fromKey *idemLookup // the re-processed request's Idempotency-Key
		if c.from != nil {
			if c.from.IdempotencyKey != nil {
				fromKey = &idemLookup{c.from.SourceID, *c.from.IdempotencyKey}
			}
			switch {
			case !o.exists:
				it.refused = notFound("delivery")
			case o.reprocessed || origins[c.from.ID]:
				it.refused = lead.Errorf(lead.EConflict, "delivery", msgNotQuarantined)
			case o.keyStatus == 201:
				it.refused = lead.Errorf(lead.EConflict, "delivery", msgRetried) // the sender retried with its key and got a lead
			case fromKey != nil && keys[*fromKey]:
				// A retry of the same request is in this group: decide after
				// its commit (the next attempt sees what it stored).
				it.refused = errIdemRace
			}
			if it.refused != nil {
				continue
			}
		}
		if !it.newLead() {
			continue
		}
		if err := checkRefsWith(&it.l, refs); err != nil {
			it.refused = err
			continue
		}
		if c.source != nil {
			_ = applyDefaultsWith(&it.l, *c.source, refs) // refs answers without errors
		}
		if it.l.FunnelStageID == nil {
			if id, ok := f.firstStage[c.account]; ok {
				it.l.FunnelStageID = &id // a new lead starts at the head of the funnel
			}
		}
		if c.from != nil {
			origins[c.from.ID] = true
			if fromKey != nil {
				keys[*fromKey] = true // a later retry with the key waits for this commit
			}
		}
		it.d.Status = 201
	}
}

// groupRows is what a group writes: rows of deliveryColumns, of
// leadInsertColumns (each delivery and lead with its id first), of
// eventColumns and of jobColumns; the new leads' Idempotency-Keys; and the
// changes re-processing makes to existing rows.
type groupRows struct {
	deliveries, leads, events, jobs [][]any
	keys                            []groupKey
	updates                         []statement
	now                             time.Time
}

type groupKey struct {
	source int64
	idem   *Idem
	body   []byte // the 201 answer the key replays
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

// adopter leases a new job to this process's runner (Store.adopt).
type adopter func(now time.Time) (lr *localRunner, until int64, ok bool)

// assign gives the ids to the requests that write, in arrival order (the
// rest are left over), counts each new lead's duplicates, renders the
// answers and builds the group's rows.
func assign(items []item, f *found, now time.Time, adopt adopter) (groupRows, error) {
	dIDs, lIDs, jIDs := f.deliveryIDs, f.leadIDs, f.jobIDs
	type contact struct {
		account int64
		email   bool
		v       string
	}
	earlier := map[contact][]int{} // the new leads before this one, by contact
	w := groupRows{now: now}
	for i := range items {
		it := &items[i]
		if it.writesDelivery() {
			if len(dIDs) == 0 {
				return w, errors.New("assign: out of delivery ids")
			}
			it.d.ID, dIDs = dIDs[0], dIDs[1:]
			w.deliveries = append(w.deliveries, append([]any{it.d.ID}, deliveryArgs(&it.d, *it.c.source, it.c.idem)...))
		}
		if !it.newLead() {
			continue
		}
		if len(lIDs) == 0 {
			return w, errors.New("assign: out of lead ids")
		}
		c, l := it.c, &it.l
		l.ID, lIDs = lIDs[0], lIDs[1:]
		switch {
		case c.delivery != nil:
			l.DeliveryID = &it.d.ID
		case c.from != nil:
			l.DeliveryID = &c.from.ID
		}
		l.FirstID, l.OtherCount = it.dup.first, it.dup.count
		var cs []contact
		if l.Phone != nil {
			cs = append(cs, contact{l.AccountID, false, *l.Phone})
		}
		if it.emailKey != nil {
			cs = append(cs, contact{l.AccountID, true, *it.emailKey})
		}
		var counted map[int]bool
		for _, ct := range cs {
			for _, k := range earlier[ct] {
				if counted[k] {
					continue // the same earlier lead by phone and by email
				}
				if counted == nil {
					counted = map[int]bool{}
				}
				counted[k] = true
				l.OtherCount++
				if id := items[k].l.ID; l.FirstID == nil || id < *l.FirstID {
					l.FirstID = &id
				}
			}
			earlier[ct] = append(earlier[ct], i)
		}
		w.leads = append(w.leads, appendLeadArgs(append(make([]any, 0, 1+leadInsertWidth), l.ID), l, it.emailKey))
		if c.render != nil {
			body, err := c.render(l)
			if err != nil {
				return w, fmt.Errorf("render lead: %w", err)
			}
			it.body = body
		}
		if c.idem != nil {
			w.keys = append(w.keys, groupKey{c.source.ID, c.idem, it.body})
		}
		if c.from != nil {
			w.updates = append(w.updates, reprocessUpdates(c, it.body, now)...)
		}
		if c.action != "" {
			var changes map[string][2]any
			if c.from != nil {
				changes = map[string][2]any{"delivery": {c.from.Status, c.from.ID}}
			}
			row, err := eventArgs(l.AccountID, l.ID, c.actor, now.Unix(), c.action, changes)
			if err != nil {
				return w, err
			}
			w.events = append(w.events, row)
		}
		if len(jIDs) == 0 {
			return w, errors.New("assign: out of job ids")
		}
		// The job names the lead by copies of its ids: a pointer into l
		// would keep the group's every request, body and answer alive for
		// as long as the runner holds the job.
		account, leadID := l.AccountID, l.ID
		j := jobs.Job{ID: jIDs[0], Kind: jobs.LeadCreated, AccountID: &account, LeadID: &leadID, State: jobs.Queued,
			MaxAttempts: jobs.MaxAttempts, RunAt: now, CreatedAt: now,
			Payload: []byte(leadEventPayload(l.ID, "via", c.via, c.actor, ""))}
		jIDs = jIDs[1:]
		if lr, until, ok := adopt(now); ok {
			t := time.UnixMilli(until)
			j.State, j.Attempts, j.Worker, j.LeaseUntil = jobs.Running, 1, lr.worker, &t
			it.r.born = append(it.r.born, bornJob{lr, j})
		} else {
			it.r.unborn = true
		}
		w.jobs = append(w.jobs, append([]any{j.ID}, jobRow(&j)...))
	}
	return w, nil
}

// reprocessUpdates marks a re-processed delivery and, when it carried an
// Idempotency-Key, gives the key the new lead's answer, so that a retry
// gets the lead.
func reprocessUpdates(c *creation, body []byte, now time.Time) []statement {
	var mapped *string
	if len(c.mapped) > 0 {
		m := string(c.mapped)
		mapped = &m
	}
	out := []statement{{"UPDATE deliveries SET reprocessed_at = $1, mapped = $2 WHERE id = $3 AND account_id = $4",
		[]any{now.Unix(), mapped, c.from.ID, c.account}}}
	if k := c.from.IdempotencyKey; k != nil {
		out = append(out, statement{"UPDATE idempotency_keys SET status = 201, response = $1 WHERE source_id = $2 AND key = $3",
			[]any{body, c.from.SourceID, *k}})
	}
	return out
}

// answer gives every request of a committed group its outcome.
func answer(items []item) {
	for i := range items {
		it := &items[i]
		switch {
		case it.refused != nil:
			it.r.out, it.r.err = Outcome{}, it.refused
		case it.replay != nil:
			it.r.out, it.r.err = *it.replay, nil
		default:
			it.r.out, it.r.err = Outcome{Lead: it.l, Status: 201, Body: it.body}, nil
		}
	}
}

// contactKeys returns the advisory-lock keys of a lead's contacts.
func contactKeys(accountID int64, phone, emailKey *string) []int64 {
	var keys []int64
	if phone != nil {
		keys = append(keys, lockKey("phone", accountID, *phone))
	}
	if emailKey != nil {
		keys = append(keys, lockKey("email", accountID, *emailKey))
	}
	return keys
}

// lockKey is the advisory-lock key of one thing two writers must not decide
// on at once: a contact, an Idempotency-Key, a delivery.
func lockKey(kind string, scope int64, v string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%s", kind, scope, v)
	return int64(h.Sum64())
}

// firstStageSQL answers an account's first funnel stage.
const firstStageSQL = "SELECT id FROM funnel_stages WHERE account_id = $1 ORDER BY position, id LIMIT 1"
