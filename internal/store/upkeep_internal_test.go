package store

import "testing"

func TestUpkeepThresholds(t *testing.T) {
	for _, tc := range []struct {
		name           string
		t              tableStats
		due, vacuum    bool
		wantRowsBefore float64
	}{
		{"AutovacuumRuns", tableStats{rows: 0, changed: 300000, added: 300000, autovacuum: true}, false, false, 0},
		{"FreshTableFilled", tableStats{rows: -1, changed: 300000, added: 300000}, true, true, 0},
		{"FewChanges", tableStats{rows: 1000, changed: 150, added: 100}, false, false, 1000},
		{"AnalyzeOnly", tableStats{rows: 1000, changed: 151, added: 100}, true, false, 1000},
		{"ManyInserted", tableStats{rows: 1000, changed: 0, added: 1201}, true, true, 1000},
		{"InsertedBelow", tableStats{rows: 1000, changed: 0, added: 1200}, false, false, 1000},
		{"ManyDead", tableStats{rows: 1000, dead: 251}, true, true, 1000},
		{"DeadBelow", tableStats{rows: 1000, dead: 250}, false, false, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, due := tc.t.upkeep()
			if due != tc.due || (due && u.Vacuum != tc.vacuum) || u.Rows != tc.wantRowsBefore {
				t.Fatalf("upkeep(%+v) = %+v, due %v; want due %v, vacuum %v, rows %v", tc.t, u, due, tc.due, tc.vacuum, tc.wantRowsBefore)
			}
		})
	}
}
