package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// createGroup sends ins to s's writer as one group and returns each
// request's outcome and error.
func createGroup(t *testing.T, s *store.Store, ins []store.Intake) ([]store.Outcome, []error) {
	t.Helper()
	release := store.HoldWriter(s)
	outs := make([]store.Outcome, len(ins))
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i := range ins {
		wg.Go(func() { outs[i], errs[i] = s.CreateLead(context.Background(), ins[i]) })
	}
	if ran := release(len(ins)); ran != 0 {
		t.Fatalf("the writer ran %d groups while held", ran)
	}
	wg.Wait()
	return outs, errs
}

// TestGroupFailsAlone sends one group of requests for one phone in which one
// names another account's stage (refused before anything is written), one
// has a name PostgreSQL refuses to store (NUL), one a name a trigger refuses
// on both engines (so the group's INSERT fails and its requests run again
// one at a time), and two share an Idempotency-Key. Each of those is
// answered alone; every other request commits, with the duplicate chain
// exact.
func TestGroupFailsAlone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		stage := f.other(t).stage(t, "New").ID
		const n = 12
		const badRef, badTrigger, badRow, keyA, keyB = 3, 5, 7, 9, 10
		_, write := store.DBs(f.s)
		boom := []string{`CREATE TRIGGER boom BEFORE INSERT ON leads WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`}
		if engine == "postgres" {
			boom = []string{`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`,
				`CREATE TRIGGER boom BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION boom()`}
		}
		for _, q := range boom {
			if _, err := write.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		ins := make([]store.Intake, n)
		for i := range ins {
			ins[i] = f.intake("79995550000", "")
		}
		ins[badRef].Input.FunnelStageID = &stage
		ins[badRow].Input.Name = ptr("nul\x00name")
		ins[badTrigger].Input.Name = ptr("boom")
		for _, i := range []int{keyA, keyB} {
			ins[i].Idem = &store.Idem{Key: "same", BodyHash: "h"}
		}

		outs, errs := createGroup(t, f.s, ins)

		if lead.ErrorCode(errs[badRef]) != lead.EInvalid {
			t.Errorf("another account's stage: %v, want EInvalid", errs[badRef])
		}
		var created []store.Outcome
		for i, err := range errs {
			switch {
			case i == badRef:
			case i == badTrigger:
				if err == nil || !strings.Contains(err.Error(), "boom") {
					t.Errorf("the lead a trigger refuses: %v, want its error", err)
				}
			case i == badRow && engine == "postgres":
				if err == nil {
					t.Errorf("a name with NUL was stored on PostgreSQL")
				}
			case err != nil:
				t.Errorf("request %d: %v", i, err)
			case outs[i].Replayed:
			default:
				created = append(created, outs[i])
			}
		}
		a, b := outs[keyA], outs[keyB]
		if a.Replayed == b.Replayed || string(a.Body) != string(b.Body) {
			t.Errorf("one Idempotency-Key twice in a group: replayed %v/%v, bodies %s / %s", a.Replayed, b.Replayed, a.Body, b.Body)
		}
		if got := f.count(t); got != int64(len(created)) {
			t.Fatalf("%d leads stored, %d answered as created", got, len(created))
		}
		checkAgainstSerial(t, f, created)
		ds, err := f.s.ListDeliveries(context.Background(), f.acc.ID, f.src.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != len(created)+1 { // the replay is logged too
			t.Errorf("%d delivery rows, want %d", len(ds), len(created)+1)
		}
	})
}
