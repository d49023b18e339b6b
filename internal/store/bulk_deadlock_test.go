package store_test

import (
	"context"
	"sync"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestBulkEditsDoNotDeadlock: on PostgreSQL every lead edit moves the lead
// between two rows of lead_tallies (migration 0014). Two bulk edits of
// different leads of two sources, taking them in opposite orders, used to
// lock those rows in opposite orders and deadlock: PostgreSQL broke each
// after a second, the transaction ran again, and an edit whose five tries
// all deadlocked answered an error (9 deadlocks in 80 edits here).
func TestBulkEditsDoNotDeadlock(t *testing.T) {
	f := newFixture(t, "postgres")
	ctx := context.Background()
	two := f.source(t, lead.Source{Name: "Second", Type: lead.SourceWebhook})
	a, b := f.refs(t, "a"), f.refs(t, "b")
	mk := func(src lead.Source, phone string) int64 {
		in := f.intake(phone, "")
		in.Source = src
		return f.create(t, in).Lead.ID
	}
	a1, a2 := mk(f.src, "79990070001"), mk(two, "79990070002")
	b1, b2 := mk(f.src, "79990070003"), mk(two, "79990070004")
	var wg sync.WaitGroup
	for g, ids := range [][]int64{{a1, a2}, {b2, b1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				stage := a.stage.ID
				if (i+g)%2 == 0 {
					stage = b.stage.ID
				}
				if _, err := f.s.EditLeads(ctx, f.acc.ID, nil, ids, store.LeadPatch{Input: lead.Input{FunnelStageID: &stage}, Present: []string{"funnelStageId"}}); err != nil {
					t.Errorf("bulk edit: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
