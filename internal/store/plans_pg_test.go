package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"leadbox/internal/store"
	"leadbox/internal/store/storetest"
)

// TestPostgresCachedPlans checks when a PostgreSQL group writes with cached
// plans: not while the tables are small (a plan cached then would scan them),
// and once the ids pass store.PGCachedPlansFrom, for that transaction only.
// A trigger records the setting each lead was inserted under. Past the
// threshold it runs a group with repeated contacts (the first_id checks),
// Idempotency-Keys and a row that fails the group, so the rerun one at a
// time also goes the cached way.
func TestPostgresCachedPlans(t *testing.T) {
	storetest.RequirePostgres(t)
	t.Parallel()
	f := newFixture(t, "postgres")
	ctx := context.Background()
	_, write := store.DBs(f.s)
	for _, q := range []string{
		`CREATE TABLE plan_modes (lead_id bigint, mode text)`,
		`CREATE FUNCTION record_plan_mode() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom'; END IF;
				INSERT INTO plan_modes VALUES (NEW.id, current_setting('plan_cache_mode'));
				RETURN NEW;
			END $$`,
		`CREATE TRIGGER record_plan_mode BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION record_plan_mode()`,
	} {
		if _, err := write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	modes := func(t *testing.T, from int64) map[string]int {
		t.Helper()
		rows, err := write.Query(`SELECT mode, count(*) FROM plan_modes WHERE lead_id >= $1 GROUP BY mode`, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var mode string
			var n int
			if err := rows.Scan(&mode, &n); err != nil {
				t.Fatal(err)
			}
			m[mode] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return m
	}
	group := func(t *testing.T, prefix string, boom int) []store.Outcome {
		t.Helper()
		const n = 8
		ins := make([]store.Intake, n)
		for i := range ins {
			ins[i] = f.intake(fmt.Sprintf("7999%07d", i%3), "") // three contacts, each repeated
		}
		ins[1].Idem = &store.Idem{Key: prefix + "-key", BodyHash: "h"}
		if boom >= 0 {
			ins[boom].Input.Name = ptr("boom")
		}
		outs, errs := createGroup(t, f.s, ins)
		var created []store.Outcome
		for i, err := range errs {
			switch {
			case i == boom:
				if err == nil || !strings.Contains(err.Error(), "boom") {
					t.Errorf("the lead the trigger refuses: %v, want its error", err)
				}
			case err != nil:
				t.Fatalf("request %d: %v", i, err)
			default:
				created = append(created, outs[i])
			}
		}
		return created
	}

	small := group(t, "small", -1)
	if m := modes(t, 0); m["force_custom_plan"] != len(small) || len(m) != 1 {
		t.Fatalf("small tables: leads inserted under %v, want all %d under force_custom_plan", m, len(small))
	}

	for _, table := range []string{"leads", "deliveries"} {
		if _, err := write.Exec(`SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, table, store.PGCachedPlansFrom); err != nil {
			t.Fatal(err)
		}
	}
	large := group(t, "large", 5)
	if m := modes(t, store.PGCachedPlansFrom); m["auto"] != len(large) || len(m) != 1 {
		t.Fatalf("past the threshold: leads inserted under %v, want all %d under auto", m, len(large))
	}
	all := append(small, large...)
	if got := f.count(t); got != int64(len(all)) {
		t.Fatalf("%d leads stored, %d answered as created", got, len(all))
	}
	checkAgainstSerial(t, f, all)

	// SET LOCAL ended with each transaction: every connection of the pool
	// plans each execution again.
	var held []*sql.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range write.Stats().MaxOpenConnections { // holding as many as the pool opens reaches every one
		c, err := write.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		var mode string
		if err := c.QueryRowContext(ctx, "SHOW plan_cache_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "force_custom_plan" {
			t.Errorf("a connection of the pool plans with %q after the groups, want force_custom_plan", mode)
		}
	}
}
