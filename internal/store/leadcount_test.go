package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestCountsMatchBruteForce checks the totals summed from lead_tallies
// (migration 0014) against the leads counted one by one, after leads come
// in groups, move between sources, stages and owners, one at a time and in
// bulk, and are deleted.
func TestCountsMatchBruteForce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		normalize := intake.New("RU").NormalizePhone
		f := newFixture(t, engine)
		o := f.other(t)
		site := f.source(t, lead.Source{Name: "Site two", Type: lead.SourceWebhook})
		a, b := f.refs(t, "a"), f.refs(t, "b")
		r := rand.New(rand.NewPCG(14, 4))
		sources := []*int64{nil, &f.src.ID, &site.ID}
		stages := []*int64{nil, &a.stage.ID, &b.stage.ID}
		owners := []*int64{nil, &a.owner.ID, &b.owner.ID}
		pick := func(p []*int64) *int64 { return p[r.IntN(len(p))] }

		inputs := make([]lead.Input, 200)
		for i := range inputs {
			inputs[i] = genInput(r, i%60, normalize) // repeats: duplicates
			inputs[i].SourceID, inputs[i].FunnelStageID, inputs[i].UserIDOwner = pick(sources), pick(stages), pick(owners)
		}
		mine := map[int64]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(inputs); i += 8 {
					if i%5 == 4 { // the other account's leads are never counted
						in := inputs[i]
						in.SourceID, in.FunnelStageID, in.UserIDOwner = nil, nil, nil
						if _, err := o.s.AddLead(ctx, store.NewLead{AccountID: o.acc.ID, Input: in}); err != nil {
							t.Errorf("AddLead: %v", err)
						}
						continue
					}
					l, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: inputs[i]})
					if err != nil {
						t.Errorf("AddLead: %v", err)
						return
					}
					mu.Lock()
					mine[l.ID] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var ids []int64
		for id := range mine {
			ids = append(ids, id)
		}
		for _, id := range ids[:40] {
			p := store.LeadPatch{Input: lead.Input{SourceID: pick(sources), FunnelStageID: pick(stages), UserIDOwner: pick(owners)},
				Present: []string{"sourceId", "funnelStageId", "userIdOwner"}}
			if _, err := f.s.UpdateLead(ctx, f.acc.ID, nil, id, p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.EditLeads(ctx, f.acc.ID, nil, ids[40:70], store.LeadPatch{Input: lead.Input{FunnelStageID: &b.stage.ID},
			Present: []string{"funnelStageId"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.DeleteLeads(ctx, f.acc.ID, nil, ids[60:80]); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, ids[90]); err != nil {
			t.Fatal(err)
		}
		// Nothing erases a lead today; should anything, its tally follows.
		read, _ := store.DBs(f.s)
		for _, live := range []string{"IS NULL", "IS NOT NULL"} { // a live lead and a deleted one
			var id int64
			if err := read.QueryRowContext(ctx, "SELECT max(id) FROM leads l WHERE account_id = $1 AND deleted_at "+live+
				" AND NOT EXISTS (SELECT 1 FROM leads d WHERE d.first_id = l.id)", f.acc.ID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			exec(t, f.s, "DELETE FROM lead_events WHERE lead_id = $1", id)
			exec(t, f.s, "DELETE FROM leads WHERE id = $1", id)
		}

		filters := []store.LeadFilter{{}, {DuplicatesOnly: true}, {NoStage: true}, {NoStage: true, DuplicatesOnly: true}}
		for _, src := range sources[1:] {
			for _, st := range stages {
				for _, ow := range owners {
					lf := store.LeadFilter{SourceID: src, StageID: st, OwnerID: ow}
					filters = append(filters, lf)
					lf.DuplicatesOnly = true
					filters = append(filters, lf)
				}
			}
		}
		dups, nonzero := 0, 0
		for _, lf := range filters {
			// The straightforward count: the leads, one by one.
			q := "SELECT count(*) FROM leads WHERE account_id = $1 AND deleted_at IS NULL"
			args := []any{f.acc.ID}
			for _, c := range []struct {
				col string
				v   *int64
			}{{"source_id", lf.SourceID}, {"funnel_stage_id", lf.StageID}, {"user_id_owner", lf.OwnerID}} {
				if c.v != nil {
					args = append(args, *c.v)
					q += fmt.Sprintf(" AND %s = $%d", c.col, len(args))
				}
			}
			if lf.NoStage {
				q += " AND funnel_stage_id IS NULL"
			}
			if lf.DuplicatesOnly {
				q += " AND first_id IS NOT NULL"
			}
			var want int64
			if err := read.QueryRowContext(ctx, q, args...).Scan(&want); err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int64{0, 3} {
				n, exact, err := f.s.CountLeadsUpTo(ctx, f.acc.ID, lf, limit)
				if err != nil || !exact || n != want {
					t.Fatalf("count %+v up to %d: %d %v %v, want %d", lf, limit, n, exact, err, want)
				}
			}
			if want > 0 {
				nonzero++
				if lf.DuplicatesOnly {
					dups++
				}
			}
		}
		if nonzero < 15 || dups < 3 {
			t.Fatalf("the generated leads cover too few filters: %d with leads, %d of duplicates", nonzero, dups)
		}
	})
}
