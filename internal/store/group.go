package store

import (
	"fmt"
	"time"

	"leadbox/internal/lead"
)

// What both engines' group commits share (batch.go, batch_pg.go): a group's
// requests are looked up first — Idempotency-Keys, reference ids, the
// sources' revisions, the duplicates already in the database — and decided
// (decide); then each request that writes gets its ids and rows, in arrival
// order, with the group's own earlier leads counted as duplicates (assign);
// the engine writes the rows with a few statements for the whole group and
// commits; then every request gets its answer (answerItems).

// groupItem is one request of a group on its way to the database.
type groupItem struct {
	j        *job
	l        lead.Lead
	emailKey *string
	d        lead.Delivery
	replay   *Outcome // the request repeats a stored Idempotency-Key
	refused  error    // answered without writing anything
	body     []byte
	dupFirst *int64 // the duplicate lookup's answer: leads committed before
	dupCount int64
}

func (it *groupItem) writes() bool  { return it.refused == nil }
func (it *groupItem) newLead() bool { return it.refused == nil && it.replay == nil }

// refKey is one reference id a group's leads name.
type refKey struct {
	field   string
	account int64
	id      int64
}

// groupRefs lists, once each and in order, the reference ids the group's
// leads name or would take from their sources' defaults.
func groupRefs(items []groupItem) []refKey {
	seen := map[refKey]bool{}
	var out []refKey
	for i := range items {
		l := &items[i].l
		defaults := sourceDefaults(items[i].j.in.Source)
		for _, r := range leadRefs(l) {
			for _, id := range []*int64{*r.id, defaults[r.field]} {
				if id == nil {
					continue
				}
				if k := (refKey{r.field, l.AccountID, *id}); !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func newItems(jobs []*job, now time.Time) []groupItem {
	items := make([]groupItem, len(jobs))
	for i, j := range jobs {
		items[i] = groupItem{j: j, l: newLead(j.in, now), d: j.in.Delivery}
		items[i].emailKey = emailKeyOf(items[i].l.Email)
		items[i].d.Received = now.UnixMilli()
	}
	return items
}

// decide refuses the requests whose source has changed since it was read
// (current) or whose reference ids are not the account's, and applies the
// sources' defaults to the rest. Replays were found before.
func decide(items []groupItem, current func(lead.Source) bool, refs refLookup) {
	for i := range items {
		it := &items[i]
		if !current(it.j.in.Source) {
			it.replay, it.refused = nil, ErrSourceChanged
			continue
		}
		if !it.newLead() {
			continue
		}
		if err := checkRefsWith(&it.l, refs); err != nil {
			it.refused = err
			continue
		}
		if err := applyDefaultsWith(&it.l, it.j.in.Source, refs); err != nil {
			it.refused = err
			continue
		}
		it.d.Status = 201
	}
}

// groupRows is what a group writes: rows of deliveryColumns and of
// leadInsertColumns, each with its id first, and the new leads' keys.
type groupRows struct {
	deliveries, leads [][]any
	keys              []groupKey
}

type groupKey struct {
	source int64
	idem   *Idem
	body   []byte // the 201 answer the key replays
}

// assign gives the ids to the requests that write, in arrival order (the
// rest are left over), counts each new lead's duplicates — the lookup's
// answer plus the group's earlier leads with its phone or email, as one
// request after another would have found them — and renders the answers.
func assign(items []groupItem, dIDs, lIDs []int64) (groupRows, error) {
	type contact struct {
		account int64
		email   bool
		v       string
	}
	earlier := map[contact][]int{} // the new leads before this one, by contact
	var w groupRows
	for i := range items {
		it := &items[i]
		if !it.writes() {
			continue
		}
		it.d.ID, dIDs = dIDs[0], dIDs[1:]
		w.deliveries = append(w.deliveries, append([]any{it.d.ID}, deliveryArgs(&it.d, it.j.in.Source, it.j.in.Idem)...))
		if !it.newLead() {
			continue
		}
		l := &it.l
		l.ID, lIDs = lIDs[0], lIDs[1:]
		l.DeliveryID = &it.d.ID
		l.FirstID, l.OtherCount = it.dupFirst, it.dupCount
		var cs []contact
		if l.Phone != nil {
			cs = append(cs, contact{l.AccountID, false, *l.Phone})
		}
		if it.emailKey != nil {
			cs = append(cs, contact{l.AccountID, true, *it.emailKey})
		}
		var counted map[int]bool
		for _, c := range cs {
			for _, k := range earlier[c] {
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
			earlier[c] = append(earlier[c], i)
		}
		w.leads = append(w.leads, appendLeadArgs(append(make([]any, 0, 1+leadInsertWidth), l.ID), l, it.emailKey))
		body, err := it.j.in.Render(l)
		if err != nil {
			return w, fmt.Errorf("render lead: %w", err)
		}
		it.body = body
		if idem := it.j.in.Idem; idem != nil {
			w.keys = append(w.keys, groupKey{it.j.in.Source.ID, idem, body})
		}
	}
	return w, nil
}

// answerItems gives every request of a committed group its answer.
func answerItems(items []groupItem) {
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
}
