package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// twoProcesses returns one account's webhook as seen through two stores on
// one database: two leadbox processes serving the same data.
func twoProcesses(t *testing.T, engine string) [2]fixture {
	t.Helper()
	a, b := openPair(t, engine)
	f := fixtureOn(t, a, "Acme")
	g := f
	g.s = b
	return [2]fixture{f, g}
}

// createAll sends the intakes at once, intake i through fs[i%2], and returns
// the outcomes and errors in intake order.
func createAll(t *testing.T, fs [2]fixture, ins []store.Intake) ([]store.Outcome, []error) {
	t.Helper()
	outs := make([]store.Outcome, len(ins))
	errs := make([]error, len(ins))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			<-start
			outs[i], errs[i] = fs[i%2].s.CreateLead(context.Background(), in)
		})
	}
	close(start)
	wg.Wait()
	return outs, errs
}

// checkAgainstSerial replays SPEC's definition of firstId and otherCount in
// id order. Leads that share a contact must have been serialised, so a lead
// with a smaller id sharing one was committed before the later one looked.
func checkAgainstSerial(t *testing.T, f fixture, outs []store.Outcome) {
	t.Helper()
	leads := make([]lead.Lead, len(outs))
	for i, o := range outs {
		l, err := f.s.GetLead(context.Background(), f.acc.ID, o.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if show(l.FirstID) != show(o.Lead.FirstID) || l.OtherCount != o.Lead.OtherCount {
			t.Fatalf("lead %d: stored firstId %s otherCount %d, answered %s %d",
				l.ID, show(l.FirstID), l.OtherCount, show(o.Lead.FirstID), o.Lead.OtherCount)
		}
		leads[i] = l
	}
	slices.SortFunc(leads, func(a, b lead.Lead) int { return int(a.ID - b.ID) })
	same := func(a, b *string) bool { return a != nil && b != nil && *a == *b }
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	for i, l := range leads {
		var first *int64
		var count int64
		for _, e := range leads[:i] {
			if same(e.Phone, l.Phone) || same(e.Email, l.Email) {
				if first == nil {
					first = &e.ID
				}
				count++
			}
		}
		if show(l.FirstID) != show(first) || l.OtherCount != count {
			t.Errorf("lead %d (phone %s, email %s): firstId %s otherCount %d; serial order says %s %d",
				l.ID, str(l.Phone), str(l.Email), show(l.FirstID), l.OtherCount, show(first), count)
		}
	}
}

func TestConcurrentDuplicates(t *testing.T) {
	const n = 64
	forEachEngine(t, func(t *testing.T, engine string) {
		fs := twoProcesses(t, engine)
		f := fs[0]
		total := int64(0)

		for round := range 3 {
			t.Run(fmt.Sprintf("%d requests with one new phone, round %d", n, round), func(t *testing.T) {
				phone := fmt.Sprintf("7999000%04d", round)
				ins := make([]store.Intake, n)
				for i := range ins {
					ins[i] = f.intake(phone, "")
					ins[i].Input.Name = ptr(fmt.Sprint("sender ", i))
				}
				outs, errs := createAll(t, fs, ins)
				for i, err := range errs {
					if err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
				}
				slices.SortFunc(outs, func(a, b store.Outcome) int { return int(a.Lead.ID - b.Lead.ID) })
				root := outs[0].Lead
				if root.FirstID != nil {
					t.Fatalf("the earliest lead %d has firstId %d", root.ID, *root.FirstID)
				}
				for i, o := range outs {
					l := o.Lead
					if i > 0 && (l.FirstID == nil || *l.FirstID != root.ID) {
						t.Errorf("lead %d: firstId %s, want %d", l.ID, show(l.FirstID), root.ID)
					}
					// otherCounts are exactly 0..n-1, in the order the leads
					// were committed.
					if l.OtherCount != int64(i) {
						t.Errorf("lead %d (%d-th): otherCount %d, want %d", l.ID, i, l.OtherCount, i)
					}
				}
				checkAgainstSerial(t, f, outs)
				total += n
				if c := f.count(t); c != total {
					t.Fatalf("%d leads stored, want %d", c, total)
				}
			})
		}

		t.Run("phones and emails chained at once", func(t *testing.T) {
			ins := make([]store.Intake, n)
			for i := range ins {
				switch i % 4 {
				case 0:
					ins[i] = f.intake("79991110000", "")
				case 1:
					ins[i] = f.intake("79991110000", "chain@example.com")
				case 2:
					ins[i] = f.intake("", "chain@example.com")
				case 3:
					ins[i] = f.intake("79991119999", "other@example.com")
				}
			}
			outs, errs := createAll(t, fs, ins)
			for i, err := range errs {
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			checkAgainstSerial(t, f, outs)
		})
	})
}

func TestConcurrentIdempotency(t *testing.T) {
	const n = 8
	forEachEngine(t, func(t *testing.T, engine string) {
		fs := twoProcesses(t, engine)
		f := fs[0]
		cases := []struct {
			name  string
			phone string // "" sends no contact, so no contact lock orders the requests
		}{
			{"same key and phone", "79992220000"},
			{"same key, no contacts", ""},
		}
		for round := range 2 {
			for _, tc := range cases {
				t.Run(fmt.Sprintf("%s, round %d", tc.name, round), func(t *testing.T) {
					key := fmt.Sprintf("%s-%d", tc.name, round)
					leads := f.count(t)
					ins := make([]store.Intake, n)
					for i := range ins {
						ins[i] = f.idemIntake(tc.phone, key, "h")
					}
					outs, errs := createAll(t, fs, ins)
					fresh := 0
					for i, o := range outs {
						if errs[i] != nil {
							t.Fatalf("request %d: %v", i, errs[i])
						}
						if !o.Replayed {
							fresh++
						}
						if o.Status != 201 || !bytes.Equal(o.Body, outs[0].Body) {
							t.Fatalf("request %d answered %d %s, request 0 %s", i, o.Status, o.Body, outs[0].Body)
						}
					}
					if c := f.count(t); fresh != 1 || c != leads+1 {
						t.Fatalf("%d fresh outcomes and %d new leads, want 1 and 1", fresh, c-leads)
					}
				})
			}
		}

		t.Run("same key, two bodies at once", func(t *testing.T) {
			leads := f.count(t)
			ins := make([]store.Intake, n)
			for i := range ins {
				ins[i] = f.idemIntake("79992221111", "split", fmt.Sprint("h", i%2))
			}
			outs, errs := createAll(t, fs, ins)
			winner := -1
			for i, o := range outs {
				if errs[i] == nil && !o.Replayed {
					if winner >= 0 {
						t.Fatalf("requests %d and %d both created a lead", winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatal("no request created the lead")
			}
			for i, o := range outs {
				switch {
				case i == winner:
				case i%2 == winner%2:
					if errs[i] != nil || !o.Replayed || !bytes.Equal(o.Body, outs[winner].Body) {
						t.Errorf("request %d with the winner's body: %+v, %v; want the replay", i, o, errs[i])
					}
				default:
					wantCode(t, errs[i], lead.EInvalid, "Idempotency-Key")
				}
			}
			if c := f.count(t); c != leads+1 {
				t.Fatalf("%d new leads, want 1", c-leads)
			}
		})
	})
}
