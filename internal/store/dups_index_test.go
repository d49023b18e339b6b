package store_test

import (
	"context"
	"strings"
	"testing"

	"leadbox/internal/store"
)

// TestDuplicatesOnlyPlan: «Только дубли» reads the index of repeats
// (migration 0016), not every lead newest first, where repeats are few.
func TestDuplicatesOnlyPlan(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		exec(t, f.s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
			INSERT INTO leads (account_id, phone, dt_create, dt_update) SELECT $1, '7999400' || i, i, i FROM n`, f.acc.ID)
		first := f.create(t, f.intake("79994009999", "")).Lead
		again := f.create(t, f.intake("79994009999", "")).Lead
		if again.FirstID == nil || *again.FirstID != first.ID {
			t.Fatalf("the repeat's firstId = %v, want %d", again.FirstID, first.ID)
		}
		sameIDs(t, "duplicates only", f.list(t, store.LeadFilter{DuplicatesOnly: true}), idsOf(again))
		if engine == "postgres" {
			exec(t, f.s, "ANALYZE leads")
		}
		q, args := store.LeadListQuery(engine, f.acc.ID, store.LeadFilter{DuplicatesOnly: true})
		explain := "EXPLAIN QUERY PLAN "
		if engine == "postgres" {
			explain = "EXPLAIN "
		}
		r, _ := store.DBs(f.s)
		rows, err := r.QueryContext(ctx, explain+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var plan []string
		for rows.Next() {
			dest := make([]any, len(cols))
			for i := range dest {
				dest[i] = new(any)
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			for _, d := range dest {
				if s, ok := (*d.(*any)).(string); ok {
					plan = append(plan, s)
				}
			}
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, "leads_dups") {
			t.Fatalf("duplicates only does not read leads_dups:\n%s", p)
		}
	})
}
