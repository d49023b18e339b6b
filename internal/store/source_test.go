package store_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// tokenRE is a webhook token: the wh_ prefix and 32 random bytes in
// unpadded base64url.
var tokenRE = regexp.MustCompile(`^wh_[A-Za-z0-9_-]{43,}$`)

func TestCreateSource(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		t.Run("webhook gets a fresh wh_ token", func(t *testing.T) {
			a := f.source(t, lead.Source{Name: " Landing ", Type: lead.SourceWebhook})
			b := f.source(t, lead.Source{Name: "No type given"}) // webhook by default
			for _, src := range []lead.Source{a, b} {
				if !tokenRE.MatchString(src.Token) || src.Type != lead.SourceWebhook || !src.Enabled || src.Created != clock.Unix() {
					t.Fatalf("source = %+v; want an enabled webhook with a token matching %s", src, tokenRE)
				}
			}
			if a.Token == b.Token || a.Token == f.src.Token {
				t.Fatal("two webhook sources share a token")
			}
			if a.Name != "Landing" {
				t.Fatalf("name = %q, want it trimmed", a.Name)
			}
			got, err := f.s.GetSource(ctx, f.acc.ID, a.ID)
			if err != nil || !reflect.DeepEqual(got, a) {
				t.Fatalf("GetSource = %+v, %v; want %+v", got, err, a)
			}
		})

		for _, typ := range []string{lead.SourceManual, lead.SourcePhone, lead.SourceSite, lead.SourceOther} {
			t.Run(typ+" source gets no token", func(t *testing.T) {
				src := f.source(t, lead.Source{Name: typ, Type: typ})
				got, err := f.s.GetSource(ctx, f.acc.ID, src.ID)
				if err != nil || src.Token != "" || got.Token != "" || got.Type != typ {
					t.Fatalf("source = %+v, stored %+v, %v; want type %s without a token", src, got, err, typ)
				}
			})
		}

		mine, theirs := f.refs(t, "mine"), o.refs(t, "theirs")
		t.Run("defaults of the account are kept", func(t *testing.T) {
			src := f.source(t, lead.Source{Name: "With defaults", DefaultOwnerID: &mine.owner.ID,
				DefaultStageID: &mine.stage.ID, DefaultUnitID: &mine.office.ID, DefaultCityID: &mine.city.ID})
			got, err := f.s.GetSource(ctx, f.acc.ID, src.ID)
			if err != nil || got.ID != src.ID || got.Name != "With defaults" {
				t.Fatalf("GetSource = %+v, %v; want %+v", got, err, src)
			}
			want := show(&mine.owner.ID, &mine.stage.ID, &mine.office.ID, &mine.city.ID)
			if d := show(got.DefaultOwnerID, got.DefaultStageID, got.DefaultUnitID, got.DefaultCityID); d != want {
				t.Fatalf("defaults owner, stage, office, city = %s; want %s", d, want)
			}
		})

		bad := []struct {
			name   string
			src    lead.Source
			fields []string
		}{
			{"empty name", lead.Source{Name: ""}, []string{"name"}},
			{"blank name", lead.Source{Name: "   "}, []string{"name"}},
			{"name over 255 characters", lead.Source{Name: strings.Repeat("ж", 256)}, []string{"name"}},
			{"unknown type", lead.Source{Name: "X", Type: "email"}, []string{"type"}},
			{"type in capitals", lead.Source{Name: "X", Type: "Webhook"}, []string{"type"}},
			{"owner of another account", lead.Source{Name: "X", DefaultOwnerID: &theirs.owner.ID}, []string{"userIdOwner"}},
			{"stage of another account", lead.Source{Name: "X", DefaultStageID: &theirs.stage.ID}, []string{"funnelStageId"}},
			{"office of another account", lead.Source{Name: "X", DefaultUnitID: &theirs.office.ID}, []string{"locationUnitId"}},
			{"city of another account", lead.Source{Name: "X", DefaultCityID: &theirs.city.ID}, []string{"locationCityId"}},
			{"owner that does not exist", lead.Source{Name: "X", DefaultOwnerID: ptr(int64(1 << 40))}, []string{"userIdOwner"}},
			{"every default of another account", lead.Source{Name: "X", DefaultOwnerID: &theirs.owner.ID, DefaultStageID: &theirs.stage.ID,
				DefaultUnitID: &theirs.office.ID, DefaultCityID: &theirs.city.ID},
				[]string{"userIdOwner", "locationUnitId", "locationCityId", "funnelStageId"}},
		}
		before, err := f.s.ListSources(ctx, f.acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range bad {
			t.Run("rejects "+tc.name, func(t *testing.T) {
				src := tc.src
				src.AccountID = f.acc.ID
				_, err := f.s.CreateSource(ctx, src)
				wantCode(t, err, lead.EInvalid, tc.fields...)
			})
		}
		t.Run("rejected sources are not written", func(t *testing.T) {
			after, err := f.s.ListSources(ctx, f.acc.ID)
			if err != nil || len(after) != len(before) {
				t.Fatalf("%d sources before the rejections, %d after (%v)", len(before), len(after), err)
			}
		})
	})
}

func TestSourceTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		manual := f.source(t, lead.Source{Name: "Manual", Type: lead.SourceManual})

		t.Run("SourceByToken finds the webhook", func(t *testing.T) {
			got, err := f.s.SourceByToken(ctx, f.src.Token)
			if err != nil || !reflect.DeepEqual(got, f.src) {
				t.Fatalf("SourceByToken = %+v, %v; want %+v", got, err, f.src)
			}
		})
		for name, token := range map[string]string{
			"unknown token": "wh_" + strings.Repeat("A", 43),
			"empty token":   "",
			"bare prefix":   "wh_",
			"token prefix":  f.src.Token[:len(f.src.Token)-1],
			"token + more":  f.src.Token + "x",
		} {
			t.Run("SourceByToken of "+name+" is ENotFound", func(t *testing.T) {
				_, err := f.s.SourceByToken(ctx, token)
				wantCode(t, err, lead.ENotFound)
			})
		}

		t.Run("rotation retires the old token at once", func(t *testing.T) {
			old := f.src.Token
			rotated, err := f.s.RotateSourceToken(ctx, f.acc.ID, f.src.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !tokenRE.MatchString(rotated.Token) || rotated.Token == old || rotated.ID != f.src.ID {
				t.Fatalf("rotated = %+v; want a new token", rotated)
			}
			_, err = f.s.SourceByToken(ctx, old)
			wantCode(t, err, lead.ENotFound)
			got, err := f.s.SourceByToken(ctx, rotated.Token)
			if err != nil || got.ID != f.src.ID || got.Token != rotated.Token {
				t.Fatalf("SourceByToken(new) = %+v, %v", got, err)
			}
		})

		t.Run("rotating a non-webhook source is EInvalid", func(t *testing.T) {
			_, err := f.s.RotateSourceToken(ctx, f.acc.ID, manual.ID)
			wantCode(t, err, lead.EInvalid, "type")
		})

		t.Run("enable and disable", func(t *testing.T) {
			for _, enabled := range []bool{false, true, false, true} {
				got, err := f.s.SetSourceEnabled(ctx, f.acc.ID, f.src.ID, enabled)
				if err != nil || got.Enabled != enabled || got.ID != f.src.ID {
					t.Fatalf("SetSourceEnabled(%v) = %+v, %v", enabled, got, err)
				}
				// A disabled webhook is still found by its token: it answers
				// 410, not 404.
				byToken, err := f.s.SourceByToken(ctx, got.Token)
				if err != nil || byToken.Enabled != enabled {
					t.Fatalf("SourceByToken after SetSourceEnabled(%v) = %+v, %v", enabled, byToken, err)
				}
			}
		})

		t.Run("another account's source is ENotFound", func(t *testing.T) {
			for _, id := range []int64{o.src.ID, 1 << 40} {
				_, err := f.s.GetSource(ctx, f.acc.ID, id)
				wantCode(t, err, lead.ENotFound)
				_, err = f.s.RotateSourceToken(ctx, f.acc.ID, id)
				wantCode(t, err, lead.ENotFound)
				_, err = f.s.SetSourceEnabled(ctx, f.acc.ID, id, false)
				wantCode(t, err, lead.ENotFound)
			}
			got, err := o.s.SourceByToken(ctx, o.src.Token)
			if err != nil || !reflect.DeepEqual(got, o.src) {
				t.Fatalf("the other account's source changed: %+v, %v; want %+v", got, err, o.src)
			}
		})
	})
}

func TestListSources(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		manual := f.source(t, lead.Source{Name: "Manual", Type: lead.SourceManual})
		idle := f.source(t, lead.Source{Name: "Idle", Type: lead.SourceWebhook})
		t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(30 * time.Minute)} {
			setClock(f.s, at)
			f.create(t, f.intake("7999000000"+string(rune('0'+i)), ""))
		}
		// A lead that names another source of the account counts there.
		setClock(f.s, t0.Add(2*time.Hour))
		in := f.intake("79990000009", "")
		in.Input.SourceID = &manual.ID
		f.create(t, in)
		o.create(t, o.intake("79990000000", ""))
		// A deleted lead counts nowhere, not even as the last one.
		setClock(f.s, t0.Add(3*time.Hour))
		gone := f.create(t, f.intake("79990000008", ""))
		if err := f.s.DeleteLead(ctx, f.acc.ID, nil, gone.Lead.ID); err != nil {
			t.Fatal(err)
		}

		got, err := f.s.ListSources(ctx, f.acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			id    int64
			leads int64
			last  *int64
		}{
			// The newest lead's time, though the clock went back for it.
			{f.src.ID, 3, ptr(t0.Add(30 * time.Minute).Unix())},
			{manual.ID, 1, ptr(t0.Add(2 * time.Hour).Unix())},
			{idle.ID, 0, nil},
		}
		if len(got) != len(want) {
			t.Fatalf("ListSources = %d sources, want %d (this account's only)", len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.ID != w.id || g.AccountID != f.acc.ID || g.Leads != w.leads || (g.LastLead == nil) != (w.last == nil) ||
				(w.last != nil && *g.LastLead != *w.last) {
				t.Errorf("source %d: id %d, %d leads, last %v; want id %d, %d leads, last %v",
					i, g.ID, g.Leads, g.LastLead, w.id, w.leads, w.last)
			}
		}
	})
}

func TestListDeliveries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		sibling := f.source(t, lead.Source{Name: "Sibling"})
		clock := time.Date(2024, 5, 1, 12, 0, 0, 123e6, time.UTC)
		setClock(f.s, clock)

		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		bodies := []struct {
			name string
			body []byte
		}{
			{"JSON", []byte(`{"phone": "+7 999 888-88-88", "name": "Иван"}`)},
			{"invalid UTF-8", []byte("{\"name\": \"\xff\xfe\xc3\"}")},
			{"NUL bytes", []byte("{\"a\":\"\x00\"}\x00\x00")},
			{"every byte value", all},
			{"256 KiB", bytes.Repeat([]byte("ab\x00\xff"), 64<<10)},
		}

		// Alternate accepted and rejected requests, each with its own body.
		type entry struct {
			body      []byte
			leadID    *int64
			status    int
			errs      string
			key       string
			truncated bool
		}
		var want []entry
		for i, b := range bodies {
			in := f.intake("7999111223"+string(rune('0'+i)), "")
			in.Delivery = lead.Delivery{Method: "POST", ContentType: "application/json", RemoteAddr: "203.0.113.7", Body: b.body}
			out := f.create(t, in)
			want = append(want, entry{body: b.body, leadID: &out.Lead.ID, status: 201})

			errs := `{"errors":{"phone":["Поле Телефон обязательно для заполнения."]}}`
			d := lead.Delivery{Method: "POST", ContentType: "text/plain", RemoteAddr: "198.51.100.1", Status: 422,
				Errors: []byte(errs), Body: b.body, BodyTruncated: i%2 == 0}
			if err := f.s.LogDelivery(ctx, f.src, d, &store.Idem{Key: b.name, BodyHash: "h"}, []byte(errs)); err != nil {
				t.Fatal(err)
			}
			want = append(want, entry{body: b.body, status: 422, errs: errs, key: b.name, truncated: d.BodyTruncated})
		}
		// Noise the list must leave out.
		f.s.LogDelivery(ctx, sibling, lead.Delivery{Method: "GET", Status: 405}, nil, nil)
		o.s.LogDelivery(ctx, o.src, lead.Delivery{Method: "GET", Status: 405}, nil, nil)
		o.create(t, o.intake("79991112230", ""))

		got := f.deliveries(t)
		if len(got) != len(want) {
			t.Fatalf("ListDeliveries = %d rows, want %d", len(got), len(want))
		}
		t.Run("newest first, every column kept", func(t *testing.T) {
			for i, d := range got {
				w := want[len(want)-1-i]
				if i > 0 && d.ID >= got[i-1].ID {
					t.Fatalf("row %d has id %d after id %d; want newest first", i, d.ID, got[i-1].ID)
				}
				if d.AccountID != f.acc.ID || d.SourceID != f.src.ID || d.Status != w.status || d.Received != clock.UnixMilli() {
					t.Errorf("row %d = %+v; want status %d received %d", i, d, w.status, clock.UnixMilli())
				}
				if (d.LeadID == nil) != (w.leadID == nil) || (w.leadID != nil && *d.LeadID != *w.leadID) {
					t.Errorf("row %d: leadId %v, want %v", i, d.LeadID, w.leadID)
				}
				if string(d.Errors) != w.errs {
					t.Errorf("row %d: errors %q, want %q", i, d.Errors, w.errs)
				}
				if w.status == 422 && (d.IdempotencyKey == nil || *d.IdempotencyKey != w.key || d.ContentType != "text/plain" ||
					d.RemoteAddr != "198.51.100.1" || d.BodyTruncated != w.truncated) {
					t.Errorf("row %d = %+v; want key %q, truncated %v", i, d, w.key, w.truncated)
				}
				if w.status == 201 && (d.IdempotencyKey != nil || d.Replayed || d.Method != "POST" ||
					d.ContentType != "application/json" || d.RemoteAddr != "203.0.113.7") {
					t.Errorf("row %d = %+v", i, d)
				}
			}
		})

		t.Run("raw bodies are byte-exact", func(t *testing.T) {
			for i, d := range got {
				if w := want[len(want)-1-i]; !bytes.Equal(d.Body, w.body) {
					t.Errorf("row %d: body of %d bytes differs from the %d sent", i, len(d.Body), len(w.body))
				}
			}
		})

		t.Run("paging with before", func(t *testing.T) {
			var paged []lead.Delivery
			before := int64(0)
			for page := 0; ; page++ {
				ds, err := f.s.ListDeliveries(ctx, f.acc.ID, f.src.ID, before, 3)
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) > 3 || page > len(got) {
					t.Fatalf("page %d has %d rows, limit 3", page, len(ds))
				}
				if len(ds) == 0 {
					break
				}
				paged = append(paged, ds...)
				before = ds[len(ds)-1].ID
			}
			if len(paged) != len(got) {
				t.Fatalf("paging returned %d rows, want %d", len(paged), len(got))
			}
			for i := range paged {
				if paged[i].ID != got[i].ID {
					t.Fatalf("paged row %d is id %d, want %d", i, paged[i].ID, got[i].ID)
				}
			}
		})

		t.Run("only the account's own source", func(t *testing.T) {
			for _, q := range []struct {
				name            string
				account, source int64
				want            int
			}{
				{"this source from another account", o.acc.ID, f.src.ID, 0},
				{"another account's source", f.acc.ID, o.src.ID, 0},
				{"sibling source", f.acc.ID, sibling.ID, 1},
				{"other account's own source", o.acc.ID, o.src.ID, 2},
			} {
				ds, err := f.s.ListDeliveries(ctx, q.account, q.source, 0, 100)
				if err != nil || len(ds) != q.want {
					t.Errorf("%s: %d rows, %v; want %d", q.name, len(ds), err, q.want)
				}
			}
		})
	})
}

// TestSourceChangedElsewhere: a source kept in memory by one process and
// changed by another (a second server, a CLI command on the same database)
// is caught by the write made on its behalf, which writes nothing and fails
// with ErrSourceChanged; FreshSourceByToken then gives the row as it is.
func TestSourceChangedElsewhere(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		fs := twoProcesses(t, engine)
		here, there := fs[0], fs[1]
		cached, err := here.s.SourceByToken(ctx, here.src.Token)
		if err != nil {
			t.Fatal(err)
		}
		in := here.intake("79991112233", "")
		in.Source = cached
		here.create(t, in) // the copy is current: a lead

		rotated, err := there.s.RotateSourceToken(ctx, there.acc.ID, there.src.ID)
		if err != nil {
			t.Fatal(err)
		}
		stale, err := here.s.SourceByToken(ctx, here.src.Token)
		if err != nil {
			t.Fatal(err)
		}
		in.Source = stale
		// Alone, and inside a group with a request of a current source.
		if _, err := here.s.CreateLead(ctx, in); !errors.Is(err, store.ErrSourceChanged) {
			t.Fatalf("CreateLead with a source rotated elsewhere: %v, want ErrSourceChanged", err)
		}
		current, err := here.s.FreshSourceByToken(ctx, rotated.Token)
		if err != nil || current.Rev == stale.Rev || current.Token != rotated.Token {
			t.Fatalf("FreshSourceByToken(new token) = %+v, %v", current, err)
		}
		good := in
		good.Source = current
		good.Input.Phone = ptr("79991112244")
		release := store.HoldWriter(here.s)
		errs := make(chan error, 2)
		for _, x := range []store.Intake{in, good} {
			go func() { _, err := here.s.CreateLead(ctx, x); errs <- err }()
		}
		release(2)
		var changed, created int
		for range 2 {
			switch err := <-errs; {
			case errors.Is(err, store.ErrSourceChanged):
				changed++
			case err == nil:
				created++
			default:
				t.Fatalf("CreateLead in a group: %v", err)
			}
		}
		if changed != 1 || created != 1 {
			t.Fatalf("a group of a stale and a current request: %d changed, %d created; want 1 and 1", changed, created)
		}
		if err := here.s.LogDelivery(ctx, stale, lead.Delivery{Method: "POST", Status: 400}, nil, nil); !errors.Is(err, store.ErrSourceChanged) {
			t.Fatalf("LogDelivery with a source rotated elsewhere: %v, want ErrSourceChanged", err)
		}
		if _, err := here.s.FreshSourceByToken(ctx, here.src.Token); lead.ErrorCode(err) != lead.ENotFound {
			t.Fatalf("FreshSourceByToken(old token) = %v, want ENotFound", err)
		}
		if n := here.count(t); n != 2 {
			t.Fatalf("%d leads, want 2", n)
		}
		ds, err := here.s.ListDeliveries(ctx, here.acc.ID, here.src.ID, 0, 100)
		if err != nil || len(ds) != 2 {
			t.Fatalf("%d delivery rows (%v), want 2: nothing is logged for the stale copy", len(ds), err)
		}
	})
}
