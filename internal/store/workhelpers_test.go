package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Helpers for the tests of the lead inbox, lead edits, clients, API tokens
// and reference edits.

// contact is a lead input with the given contacts; "" leaves one out.
func contact(phone, email string) lead.Input {
	var in lead.Input
	if phone != "" {
		in.Phone = ptr(phone)
	}
	if email != "" {
		in.Email = ptr(email)
	}
	return in
}

// add creates a lead through AddLead, as a person with no user id, or fails
// the test.
func (f fixture) add(t *testing.T, in lead.Input) lead.Lead {
	t.Helper()
	l, err := f.s.AddLead(context.Background(), store.NewLead{AccountID: f.acc.ID, Input: in})
	if err != nil {
		t.Fatalf("AddLead: %v", err)
	}
	return l
}

// get returns one of f's leads or fails the test.
func (f fixture) get(t *testing.T, id int64) lead.Lead {
	t.Helper()
	l, err := f.s.GetLead(context.Background(), f.acc.ID, id)
	if err != nil {
		t.Fatalf("GetLead(%d): %v", id, err)
	}
	return l
}

// list returns the leads of f's account the filter selects, or fails.
func (f fixture) list(t *testing.T, lf store.LeadFilter) []lead.Lead {
	t.Helper()
	ls, err := f.s.ListLeads(context.Background(), f.acc.ID, lf)
	if err != nil {
		t.Fatalf("ListLeads(%+v): %v", lf, err)
	}
	return ls
}

// events returns a lead's history or fails the test.
func (f fixture) events(t *testing.T, id int64) []lead.Event {
	t.Helper()
	es, err := f.s.LeadEvents(context.Background(), f.acc.ID, id)
	if err != nil {
		t.Fatalf("LeadEvents(%d): %v", id, err)
	}
	return es
}

// lastEvent returns a lead's newest history entry, failing when there is none.
func (f fixture) lastEvent(t *testing.T, id int64) lead.Event {
	t.Helper()
	es := f.events(t, id)
	if len(es) == 0 {
		t.Fatalf("lead %d has no history", id)
	}
	return es[len(es)-1]
}

// leadIDs returns the ids of ls in order.
func leadIDs(ls []lead.Lead) []int64 {
	ids := make([]int64, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	return ids
}

// idsOf returns the ids of the given leads in order.
func idsOf(ls ...lead.Lead) []int64 { return leadIDs(ls) }

// sameIDs fails the test unless got lists exactly the want ids, in order.
func sameIDs(t *testing.T, what string, got []lead.Lead, want []int64) {
	t.Helper()
	if ids := leadIDs(got); !slices.Equal(ids, want) {
		t.Fatalf("%s = ids %v, want %v", what, ids, want)
	}
}

// changesJSON renders a history entry's changes for comparison: JSON keeps
// map keys sorted, and numbers read back from it are float64 anyway.
func changesJSON(t *testing.T, c map[string][2]any) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantEvent fails the test unless e is action by user with exactly changes.
func wantEvent(t *testing.T, e lead.Event, action string, user *int64, at int64, changes map[string][2]any) {
	t.Helper()
	if e.Action != action || show(e.UserID) != show(user) || e.At != at {
		t.Fatalf("event = %s by %s at %d, want %s by %s at %d", e.Action, show(e.UserID), e.At, action, show(user), at)
	}
	if changes == nil {
		changes = map[string][2]any{}
	}
	if got, want := changesJSON(t, e.Changes), changesJSON(t, changes); got != want {
		t.Fatalf("%s event changes = %s, want %s", action, got, want)
	}
}

// countRows runs a count query on s's read pool, for rows no method lists.
func countRows(t *testing.T, s *store.Store, query string, args ...any) int64 {
	t.Helper()
	r, _ := store.DBs(s)
	var n int64
	if err := r.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// strOf prints a nullable string.
func strOf(p *string) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *p)
}
