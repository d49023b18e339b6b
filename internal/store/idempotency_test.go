package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// idemIntake is a request to f's webhook carrying an Idempotency-Key.
func (f fixture) idemIntake(phone, key, hash string) store.Intake {
	in := f.intake(phone, "")
	in.Idem = &store.Idem{Key: key, BodyHash: hash}
	in.Delivery.IdempotencyKey = &in.Idem.Key
	return in
}

func TestIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

		t.Run("same key and body replay the first answer", func(t *testing.T) {
			f := newFixture(t, engine)
			first := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			if first.Replayed || first.Status != 201 {
				t.Fatalf("first outcome = %+v", first)
			}
			for i := range 2 {
				// The retry may differ in everything the hash does not cover.
				again := f.create(t, f.idemIntake("79990000002", "k1", "h1"))
				if !again.Replayed || again.Status != 201 || !bytes.Equal(again.Body, first.Body) {
					t.Fatalf("retry %d = %d %s (replayed %v); want 201 %s replayed", i, again.Status, again.Body, again.Replayed, first.Body)
				}
			}
			if n := f.count(t); n != 1 {
				t.Fatalf("%d leads, want 1", n)
			}
			ds := f.deliveries(t)
			if len(ds) != 3 {
				t.Fatalf("%d deliveries, want 3", len(ds))
			}
			for i, d := range ds {
				replay := i < 2
				if d.Replayed != replay || d.Status != 201 || d.IdempotencyKey == nil || *d.IdempotencyKey != "k1" ||
					(d.LeadID != nil) == replay {
					t.Errorf("delivery %d = %+v; want replayed=%v", i, d, replay)
				}
			}
		})

		t.Run("same key with another body is EInvalid and writes nothing", func(t *testing.T) {
			f := newFixture(t, engine)
			f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			_, err := f.s.CreateLead(ctx, f.idemIntake("79990000001", "k1", "h2"))
			wantCode(t, err, lead.EInvalid, "Idempotency-Key")
			if n, d := f.count(t), len(f.deliveries(t)); n != 1 || d != 1 {
				t.Fatalf("%d leads and %d deliveries, want 1 and 1", n, d)
			}
		})

		t.Run("keys are per source", func(t *testing.T) {
			f := newFixture(t, engine)
			a := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			g := f
			g.src = f.source(t, lead.Source{Name: "Second"})
			b := g.create(t, g.idemIntake("79990000001", "k1", "h1"))
			if b.Replayed || b.Lead.ID == a.Lead.ID || f.count(t) != 2 {
				t.Fatalf("second source's outcome = %+v; want a new lead", b)
			}
			o := f.other(t)
			c := o.create(t, o.idemIntake("79990000001", "k1", "h2"))
			if c.Replayed || o.count(t) != 1 {
				t.Fatalf("other account's outcome = %+v; want a new lead", c)
			}
		})

		t.Run("a key lives 24 hours", func(t *testing.T) {
			f := newFixture(t, engine)
			setClock(f.s, t0)
			first := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			steps := []struct {
				at       time.Duration
				replayed bool
			}{
				{time.Hour, true},
				{store.IdempotencyTTL - time.Second, true},
				{store.IdempotencyTTL + time.Second, false}, // expired: a new lead
				{store.IdempotencyTTL + 2*time.Second, true},
			}
			var latest store.Outcome = first
			for _, st := range steps {
				setClock(f.s, t0.Add(st.at))
				out := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
				if out.Replayed != st.replayed {
					t.Fatalf("at +%v: replayed %v, want %v", st.at, out.Replayed, st.replayed)
				}
				if st.replayed && !bytes.Equal(out.Body, latest.Body) {
					t.Fatalf("at +%v: replayed %s, want %s", st.at, out.Body, latest.Body)
				}
				if !st.replayed {
					latest = out
				}
			}
			if n := f.count(t); n != 2 {
				t.Fatalf("%d leads, want 2", n)
			}
		})

		t.Run("ExpireIdempotencyKeys deletes keys past the TTL", func(t *testing.T) {
			f := newFixture(t, engine)
			setClock(f.s, t0)
			f.create(t, f.idemIntake("79990000001", "old", "h"))
			setClock(f.s, t0.Add(12*time.Hour))
			f.create(t, f.idemIntake("79990000002", "young", "h"))
			for _, st := range []struct {
				at   time.Duration
				want int64
			}{
				{store.IdempotencyTTL - time.Second, 0},
				{store.IdempotencyTTL + time.Second, 1},
				{store.IdempotencyTTL + time.Second, 0},
				{store.IdempotencyTTL + 12*time.Hour + time.Second, 1},
			} {
				setClock(f.s, t0.Add(st.at))
				n, err := f.s.ExpireIdempotencyKeys(ctx)
				if err != nil || n != st.want {
					t.Fatalf("at +%v: expired %d, %v; want %d", st.at, n, err, st.want)
				}
			}
			// Back in time, a surviving row would be found again: none is.
			setClock(f.s, t0.Add(13*time.Hour))
			for _, key := range []string{"old", "young"} {
				if got, err := f.s.FindIdempotent(ctx, f.src.ID, store.Idem{Key: key, BodyHash: "h"}); got != nil || err != nil {
					t.Fatalf("FindIdempotent(%s) after expiry = %+v, %v", key, got, err)
				}
			}
		})

		t.Run("FindIdempotent", func(t *testing.T) {
			f := newFixture(t, engine)
			first := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			cases := []struct {
				name  string
				src   int64
				idem  store.Idem
				found bool
				code  lead.Code // EInternal when no error is wanted
			}{
				{"new key", f.src.ID, store.Idem{Key: "k2", BodyHash: "h1"}, false, lead.EInternal},
				{"known key, same body", f.src.ID, store.Idem{Key: "k1", BodyHash: "h1"}, true, lead.EInternal},
				{"known key, other body", f.src.ID, store.Idem{Key: "k1", BodyHash: "h2"}, false, lead.EInvalid},
				{"key of another source", f.other(t).src.ID, store.Idem{Key: "k1", BodyHash: "h1"}, false, lead.EInternal},
				{"key in other case", f.src.ID, store.Idem{Key: "K1", BodyHash: "h1"}, false, lead.EInternal},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got, err := f.s.FindIdempotent(ctx, tc.src, tc.idem)
					if tc.code != lead.EInternal {
						wantCode(t, err, tc.code, "Idempotency-Key")
						return
					}
					if err != nil || (got != nil) != tc.found {
						t.Fatalf("FindIdempotent = %+v, %v; want found=%v", got, err, tc.found)
					}
					if got != nil && (got.Status != 201 || !got.Replayed || !bytes.Equal(got.Body, first.Body)) {
						t.Fatalf("FindIdempotent = %d %s, want 201 %s", got.Status, got.Body, first.Body)
					}
				})
			}
		})

		t.Run("LogDelivery keeps final answers for replay", func(t *testing.T) {
			f := newFixture(t, engine)
			for _, tc := range []struct {
				status int
				kept   bool
			}{{400, true}, {422, true}, {409, false}, {429, false}, {503, false}, {404, false}} {
				t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
					idem := store.Idem{Key: fmt.Sprint("key-", tc.status), BodyHash: "h"}
					body := []byte(fmt.Sprintf(`{"errors":{"x":["status %d"]}}`, tc.status))
					d := lead.Delivery{Method: "POST", Status: tc.status, Errors: body, Body: []byte("{}")}
					if err := f.s.LogDelivery(ctx, f.src, d, &idem, body); err != nil {
						t.Fatal(err)
					}
					got, err := f.s.FindIdempotent(ctx, f.src.ID, idem)
					if err != nil || (got != nil) != tc.kept {
						t.Fatalf("FindIdempotent = %+v, %v; want kept=%v", got, err, tc.kept)
					}
					leads := f.count(t)
					out := f.create(t, f.idemIntake("79990000001", idem.Key, idem.BodyHash))
					if tc.kept {
						if got.Status != tc.status || !bytes.Equal(got.Body, body) {
							t.Fatalf("FindIdempotent = %d %s, want %d %s", got.Status, got.Body, tc.status, body)
						}
						if !out.Replayed || out.Status != tc.status || !bytes.Equal(out.Body, body) || f.count(t) != leads {
							t.Fatalf("CreateLead after a kept %d = %d %s (replayed %v)", tc.status, out.Status, out.Body, out.Replayed)
						}
					} else if out.Replayed || out.Status != 201 || f.count(t) != leads+1 {
						t.Fatalf("CreateLead after a %d = %+v; want a new lead", tc.status, out)
					}
				})
			}
		})

		t.Run("LogDelivery without idem logs the key and keeps no answer", func(t *testing.T) {
			// The web's 409 path: the first request's answer, not this one,
			// belongs to the key.
			f := newFixture(t, engine)
			d := lead.Delivery{Method: "POST", Status: 409, IdempotencyKey: ptr("busy"), Body: []byte("{}")}
			if err := f.s.LogDelivery(ctx, f.src, d, nil, []byte(`{"errors":{}}`)); err != nil {
				t.Fatal(err)
			}
			if ds := f.deliveries(t); len(ds) != 1 || ds[0].IdempotencyKey == nil || *ds[0].IdempotencyKey != "busy" {
				t.Fatalf("deliveries = %+v; want the key logged", ds)
			}
			if got, err := f.s.FindIdempotent(ctx, f.src.ID, store.Idem{Key: "busy", BodyHash: "h"}); got != nil || err != nil {
				t.Fatalf("FindIdempotent = %+v, %v; want nothing kept", got, err)
			}
		})

		t.Run("LogDelivery does not overwrite an answered key", func(t *testing.T) {
			f := newFixture(t, engine)
			first := f.create(t, f.idemIntake("79990000001", "k1", "h1"))
			d := lead.Delivery{Method: "POST", Status: 422, Body: []byte("{}")}
			if err := f.s.LogDelivery(ctx, f.src, d, &store.Idem{Key: "k1", BodyHash: "h1"}, []byte(`{"errors":{}}`)); err != nil {
				t.Fatal(err)
			}
			got, err := f.s.FindIdempotent(ctx, f.src.ID, store.Idem{Key: "k1", BodyHash: "h1"})
			if err != nil || got == nil || got.Status != 201 || !bytes.Equal(got.Body, first.Body) {
				t.Fatalf("FindIdempotent = %+v, %v; want the first 201", got, err)
			}
			if ds := f.deliveries(t); len(ds) != 2 || ds[0].Status != 422 {
				t.Fatalf("deliveries = %+v; want the 422 logged too", ds)
			}
		})
	})
}
