package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"leadbox/internal/jobs"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// The inbox's store work for issue 17: the count of a filter, the walk of
// an export, bulk edits, saved filters and uploaded spreadsheets.

func TestCountLeadsUpTo(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		// Leads at no stage are those that came while the funnel was
		// empty: then new ones start at its first stage.
		f := newFixture(t, engine).emptyFunnel(t)
		o := f.other(t)
		for i := range 12 {
			if i%3 != 0 {
				f.add(t, contact(fmt.Sprintf("7999100%04d", i), ""))
			}
		}
		stage := f.stage(t, "Новый")
		for i := range 12 {
			if i%3 == 0 {
				in := contact(fmt.Sprintf("7999100%04d", i), "")
				in.FunnelStageID = &stage.ID
				f.add(t, in)
			}
		}
		o.add(t, contact("79991009999", ""))
		for _, c := range []struct {
			name  string
			f     store.LeadFilter
			limit int64
			want  int64
			exact bool
		}{
			{"all, exact", store.LeadFilter{}, 0, 12, true},
			{"all under the limit", store.LeadFilter{}, 20, 12, true},
			{"all at the limit", store.LeadFilter{}, 12, 12, true},
			{"all over the limit: tallied, exact", store.LeadFilter{}, 5, 12, true},
			{"a period over the limit", store.LeadFilter{From: 1}, 5, 5, false},
			{"a period under the limit", store.LeadFilter{From: 1}, 20, 12, true},
			{"a stage", store.LeadFilter{StageID: &stage.ID}, 10, 4, true},
			{"no stage", store.LeadFilter{NoStage: true}, 10, 8, true},
			{"the cursor is not the filter's", store.LeadFilter{Before: 3}, 100, 12, true},
		} {
			n, exact, err := f.s.CountLeadsUpTo(ctx, f.acc.ID, c.f, c.limit)
			if err != nil || n != c.want || exact != c.exact {
				t.Errorf("%s: %d %v %v, want %d %v", c.name, n, exact, err, c.want, c.exact)
			}
		}
	})
}

func TestEachLead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		f.other(t).add(t, contact("79990000001", ""))
		// More than a page of the walk, so the keyset paging is crossed.
		const n = 2345
		exec(t, f.s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
			INSERT INTO leads (account_id, phone, dt_create, dt_update) SELECT $1, '7999200' || i, i, i FROM n`, f.acc.ID, n)
		var got []int64
		err := f.s.EachLead(ctx, f.acc.ID, store.LeadFilter{}, func(l lead.Lead) error {
			if l.AccountID != f.acc.ID {
				t.Fatalf("lead %d of another account", l.ID)
			}
			got = append(got, l.ID)
			return nil
		})
		if err != nil || len(got) != n {
			t.Fatalf("walked %d leads, %v; want %d", len(got), err, n)
		}
		for i := 1; i < len(got); i++ {
			if got[i] >= got[i-1] {
				t.Fatalf("not newest first at %d: %d after %d", i, got[i], got[i-1])
			}
		}
		stop := fmt.Errorf("stop")
		seen := 0
		if err := f.s.EachLead(ctx, f.acc.ID, store.LeadFilter{}, func(lead.Lead) error { seen++; return stop }); err != stop || seen != 1 {
			t.Fatalf("an error from fn: %v after %d leads", err, seen)
		}
	})
}

// TestEditLeads: a bulk change writes, for every lead it changes, the
// lead's own history entry and its own event; a lead already so, or gone,
// is passed over; a bad value changes nothing.
func TestEditLeads(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		won := f.stage(t, "Успешно")
		var ids []int64
		for i := range 5 {
			ids = append(ids, f.add(t, contact(fmt.Sprintf("7999300%04d", i), "")).ID)
		}
		foreign := o.add(t, contact("79993009999", ""))
		gone := f.add(t, contact("79993008888", ""))
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, gone.ID); err != nil {
			t.Fatal(err)
		}
		// The first lead is at the stage already.
		if _, err := f.s.UpdateLead(ctx, f.acc.ID, nil, ids[0], store.LeadPatch{Input: lead.Input{FunnelStageID: &won.ID}, Present: []string{"funnelStageId"}}); err != nil {
			t.Fatal(err)
		}
		before := len(leadJobs(t, f.s))
		patch := store.LeadPatch{Input: lead.Input{FunnelStageID: &won.ID}, Present: []string{"funnelStageId"}}
		n, err := f.s.EditLeads(ctx, f.acc.ID, &anna.ID, append(ids, foreign.ID, gone.ID), patch)
		if err != nil || n != 4 {
			t.Fatalf("EditLeads: %d changed, %v; want 4", n, err)
		}
		if got := o.get(t, foreign.ID); got.FunnelStageID != nil && *got.FunnelStageID == won.ID {
			t.Fatal("a lead of another account was changed")
		}
		for _, id := range ids[1:] {
			l := f.get(t, id)
			if l.FunnelStageID == nil || *l.FunnelStageID != won.ID || l.UserIDUpdate == nil || *l.UserIDUpdate != anna.ID {
				t.Fatalf("lead %d: stage %s, updated by %s", id, show(l.FunnelStageID), show(l.UserIDUpdate))
			}
			e := f.lastEvent(t, id)
			if e.Action != "update" || e.UserID == nil || *e.UserID != anna.ID || len(e.Changes) != 1 {
				t.Fatalf("lead %d: last history entry %+v", id, e)
			}
		}
		events := leadJobs(t, f.s)[before:]
		if len(events) != 4 {
			t.Fatalf("%d events queued, want one per changed lead (4)", len(events))
		}
		for i, e := range events {
			if e.kind != "lead.updated" || e.lead != ids[i+1] {
				t.Fatalf("event %d: %s of lead %d, want lead.updated of %d", i, e.kind, e.lead, ids[i+1])
			}
		}

		// An owner who is not an active user of the account: nothing changes.
		stranger := o.user(t, "stranger@example.com")
		_, err = f.s.EditLeads(ctx, f.acc.ID, &anna.ID, ids, store.LeadPatch{Input: lead.Input{UserIDOwner: &stranger.ID}, Present: []string{"userIdOwner"}})
		wantCode(t, err, lead.EInvalid, "userIdOwner")
		if l := f.get(t, ids[1]); l.UserIDOwner != nil {
			t.Fatal("a refused bulk change changed a lead")
		}

		n, err = f.s.DeleteLeads(ctx, f.acc.ID, &anna.ID, []int64{ids[3], ids[4], gone.ID, foreign.ID})
		if err != nil || n != 2 {
			t.Fatalf("DeleteLeads: %d, %v; want 2", n, err)
		}
		if f.count(t) != 3 {
			t.Fatalf("%d leads left, want 3", f.count(t))
		}
		events = leadJobs(t, f.s)
		if last := events[len(events)-2:]; last[0].kind != "lead.deleted" || last[0].lead != ids[3] || last[1].kind != "lead.deleted" || last[1].lead != ids[4] {
			t.Fatalf("the last events are %+v, want lead.deleted of %d and %d", last, ids[3], ids[4])
		}
		if e := f.lastEvent(t, ids[4]); e.Action != "delete" {
			t.Fatalf("deleted lead's last history entry: %+v", e)
		}

		if _, err := f.s.EditLeads(ctx, f.acc.ID, nil, make([]int64, store.MaxBulk+1), patch); err == nil {
			t.Fatal("a bulk change over MaxBulk was taken")
		}
	})
}

// leadJobs returns every lead event queued in s, of any account, oldest
// first.
func leadJobs(t *testing.T, s *store.Store) []event {
	t.Helper()
	list, err := s.ListJobs(context.Background(), jobs.Queued, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	for _, j := range list {
		if strings.HasPrefix(j.Kind, "lead.") && j.LeadID != nil {
			out = append(out, event{kind: j.Kind, lead: *j.LeadID})
		}
	}
	return out
}

func TestSavedFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		anna, boris := f.user(t, "anna@example.com"), f.user(t, "boris@example.com")
		saved, err := f.s.SaveFilter(ctx, f.acc.ID, anna.ID, " Дубли недели ", "?dup=1&from=2024-04-01")
		if err != nil || saved.Name != "Дубли недели" || saved.Query != "dup=1&from=2024-04-01" {
			t.Fatalf("SaveFilter: %+v, %v", saved, err)
		}
		again, err := f.s.SaveFilter(ctx, f.acc.ID, anna.ID, "Дубли недели", "dup=1")
		if err != nil || again.ID != saved.ID {
			t.Fatalf("saving under the same name: %+v, %v; want filter %d replaced", again, err, saved.ID)
		}
		if _, err := f.s.SaveFilter(ctx, f.acc.ID, anna.ID, "Анкеты", "source=1"); err != nil {
			t.Fatal(err)
		}
		list, err := f.s.SavedFilters(ctx, f.acc.ID, anna.ID)
		if err != nil || len(list) != 2 || list[0].Name != "Анкеты" || list[1].Query != "dup=1" {
			t.Fatalf("anna's filters: %+v, %v", list, err)
		}
		if list, _ := f.s.SavedFilters(ctx, f.acc.ID, boris.ID); len(list) != 0 {
			t.Fatalf("boris sees %d of anna's filters", len(list))
		}
		wantCode(t, f.s.DeleteSavedFilter(ctx, f.acc.ID, boris.ID, saved.ID), lead.ENotFound)
		if err := f.s.DeleteSavedFilter(ctx, f.acc.ID, anna.ID, saved.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, query, field string }{
			{"  ", "dup=1", "name"},
			{strings.Repeat("я", 101), "dup=1", "name"},
			{"Длинный", strings.Repeat("q", 2001), "query"},
		} {
			_, err := f.s.SaveFilter(ctx, f.acc.ID, anna.ID, c.name, c.query)
			wantCode(t, err, lead.EInvalid, c.field)
		}
	})
}

func TestImportFiles(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		anna, boris := f.user(t, "anna@example.com"), f.user(t, "boris@example.com")
		data := []byte("\xef\xbb\xbfИмя;Телефон\nИван;89991234567\n\x00\xff")
		id, err := f.s.SaveImportFile(ctx, f.acc.ID, anna.ID, "leads.csv", data)
		if err != nil {
			t.Fatal(err)
		}
		name, got, err := f.s.ImportFile(ctx, f.acc.ID, anna.ID, id)
		if err != nil || name != "leads.csv" || string(got) != string(data) {
			t.Fatalf("ImportFile: %q %q %v", name, got, err)
		}
		_, _, err = f.s.ImportFile(ctx, f.acc.ID, boris.ID, id)
		wantCode(t, err, lead.ENotFound)
		if err := f.s.DeleteImportFile(ctx, f.acc.ID, anna.ID, id); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.s.ImportFile(ctx, f.acc.ID, anna.ID, id)
		wantCode(t, err, lead.ENotFound)
	})
}
