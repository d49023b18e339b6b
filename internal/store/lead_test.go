package store_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

func TestCreateLeadDefaults(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		def, given := f.refs(t, "default"), f.refs(t, "given")
		withDefaults := f.source(t, lead.Source{Name: "With defaults", DefaultOwnerID: &def.owner.ID,
			DefaultStageID: &def.stage.ID, DefaultUnitID: &def.office.ID, DefaultCityID: &def.city.ID})
		manual := f.source(t, lead.Source{Name: "Manual", Type: lead.SourceManual})
		first := f.firstStage(t)

		type ids struct{ source, owner, stage, office, city *int64 }
		str := func(v ids) string { return show(v.source, v.owner, v.stage, v.office, v.city) }
		cases := []struct {
			name string
			src  lead.Source
			in   ids
			want ids
		}{
			{"absent fields take the source's defaults", withDefaults, ids{},
				ids{&withDefaults.ID, &def.owner.ID, &def.stage.ID, &def.office.ID, &def.city.ID}},
			{"given fields win over the defaults", withDefaults,
				ids{&manual.ID, &given.owner.ID, &given.stage.ID, &given.office.ID, &given.city.ID},
				ids{&manual.ID, &given.owner.ID, &given.stage.ID, &given.office.ID, &given.city.ID}},
			{"one given field, the rest default", withDefaults, ids{stage: &given.stage.ID},
				ids{&withDefaults.ID, &def.owner.ID, &given.stage.ID, &def.office.ID, &def.city.ID}},
			{"no defaults leave the fields null, the stage first", f.src, ids{}, ids{source: &f.src.ID, stage: &first.ID}},
			{"no defaults, given fields kept", f.src, ids{owner: &given.owner.ID, city: &given.city.ID},
				ids{source: &f.src.ID, owner: &given.owner.ID, stage: &first.ID, city: &given.city.ID}},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := f.intake(fmt.Sprintf("7999222333%d", i), "")
				in.Source = tc.src
				in.Input.SourceID, in.Input.UserIDOwner, in.Input.FunnelStageID = tc.in.source, tc.in.owner, tc.in.stage
				in.Input.LocationUnitID, in.Input.LocationCityID = tc.in.office, tc.in.city
				out := f.create(t, in)
				stored, err := f.s.GetLead(context.Background(), f.acc.ID, out.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range []lead.Lead{out.Lead, stored} {
					got := ids{l.SourceID, l.UserIDOwner, l.FunnelStageID, l.LocationUnitID, l.LocationCityID}
					if str(got) != str(tc.want) {
						t.Fatalf("source, owner, stage, office, city = %s; want %s", str(got), str(tc.want))
					}
				}
			})
		}
	})
}

// TestCreateLeadStaleDefault shows that a source default gone stale (its
// owner deactivated) is skipped, not turned into a 422 that loses the lead.
func TestCreateLeadStaleDefault(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		def := f.refs(t, "default")
		src := f.source(t, lead.Source{Name: "Stale", DefaultOwnerID: &def.owner.ID, DefaultStageID: &def.stage.ID})
		exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, def.owner.ID)
		in := f.intake("79992223399", "")
		in.Source = src
		out := f.create(t, in)
		if got := show(out.Lead.UserIDOwner, out.Lead.FunnelStageID); got != show(nil, &def.stage.ID) {
			t.Fatalf("owner, stage = %s; want the stale owner dropped and the stage kept", got)
		}
	})
}

// show prints the values behind nullable ids.
func show(ps ...*int64) string {
	var b bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		if p == nil {
			b.WriteString("null")
		} else {
			fmt.Fprintf(&b, "%d", *p)
		}
	}
	return b.String()
}

func TestCreateLeadForeignRefs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		theirs := o.refs(t, "theirs")
		inactive := f.user(t, "gone@example.com")
		exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, inactive.ID)
		missing := int64(1 << 40)

		cases := []struct {
			name   string
			set    func(in *lead.Input)
			fields []string
		}{
			{"sourceId of another account", func(in *lead.Input) { in.SourceID = &o.src.ID }, []string{"sourceId"}},
			{"userIdOwner of another account", func(in *lead.Input) { in.UserIDOwner = &theirs.owner.ID }, []string{"userIdOwner"}},
			{"inactive userIdOwner", func(in *lead.Input) { in.UserIDOwner = &inactive.ID }, []string{"userIdOwner"}},
			{"locationUnitId of another account", func(in *lead.Input) { in.LocationUnitID = &theirs.office.ID }, []string{"locationUnitId"}},
			{"locationCityId of another account", func(in *lead.Input) { in.LocationCityID = &theirs.city.ID }, []string{"locationCityId"}},
			{"funnelStageId of another account", func(in *lead.Input) { in.FunnelStageID = &theirs.stage.ID }, []string{"funnelStageId"}},
			{"ids that exist nowhere", func(in *lead.Input) {
				in.SourceID, in.UserIDOwner, in.LocationUnitID = &missing, &missing, &missing
			}, []string{"userIdOwner", "sourceId", "locationUnitId"}},
			{"every reference of another account", func(in *lead.Input) {
				in.SourceID, in.UserIDOwner, in.FunnelStageID = &o.src.ID, &theirs.owner.ID, &theirs.stage.ID
				in.LocationUnitID, in.LocationCityID = &theirs.office.ID, &theirs.city.ID
			}, []string{"userIdOwner", "sourceId", "locationUnitId", "locationCityId", "funnelStageId"}},
		}
		for i, tc := range cases {
			t.Run(tc.name+" is EInvalid and writes nothing", func(t *testing.T) {
				leads, deliveries := f.count(t), len(f.deliveries(t))
				in := f.intake(fmt.Sprintf("7999333444%d", i), "")
				tc.set(&in.Input)
				_, err := f.s.CreateLead(ctx, in)
				e := wantCode(t, err, lead.EInvalid, tc.fields...)
				for _, fe := range e.Fields {
					want := fmt.Sprintf(lead.MsgExists, lead.FieldByName(fe.Field).Label)
					if len(fe.Messages) != 1 || fe.Messages[0] != want {
						t.Errorf("%s: messages %q, want [%q]", fe.Field, fe.Messages, want)
					}
				}
				if n, d := f.count(t), len(f.deliveries(t)); n != leads || d != deliveries {
					t.Fatalf("leads %d → %d, deliveries %d → %d; want nothing written", leads, n, deliveries, d)
				}
			})
		}
		t.Run("the other account wrote nothing either", func(t *testing.T) {
			if n := o.count(t); n != 0 {
				t.Fatalf("other account has %d leads", n)
			}
		})
	})
}

func TestCreateLeadStoresEverything(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		clock := time.Date(2024, 5, 1, 12, 30, 15, 987e6, time.UTC)
		setClock(f.s, clock)
		r := f.refs(t, "r")

		var in lead.Input
		for i, fl := range lead.Fields {
			if p := fl.String(&in); p != nil {
				*p = ptr(fmt.Sprintf("%s value №%d «ё»", fl.Name, i))
			}
		}
		if n := len(in.Marks.List()); n != 20 {
			t.Fatalf("lead.Marks has %d marks, the test expects 20", n)
		}
		for _, m := range in.Marks.List() {
			if *m == nil {
				t.Fatal("a mark is not a request field")
			}
		}
		in.Phone, in.Email = ptr("79994445566"), ptr("Ivan@Example.com")
		in.UserIDOwner, in.FunnelStageID, in.LocationUnitID, in.LocationCityID = &r.owner.ID, &r.stage.ID, &r.office.ID, &r.city.ID
		in.RemoteID, in.Cost = ptr(int64(1)<<53), ptr(int64(-5))
		in.Extra = []byte(`{"z":1,  "a" : [true,null,"é\u0000"],"big":12345678901234567890123}`)
		raw := []byte("{\"name\":\"\xff\x00\", \"z\":1}")

		it := f.intake("", "")
		it.Input = in
		it.Delivery.Body = raw
		out := f.create(t, it)

		stored, err := f.s.GetLead(ctx, f.acc.ID, out.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("GetLead returns what CreateLead answered", func(t *testing.T) {
			if !reflect.DeepEqual(stored, out.Lead) {
				t.Fatalf("stored lead\n%+v\ndiffers from the answer\n%+v", stored, out.Lead)
			}
		})
		t.Run("every field and mark round-trips", func(t *testing.T) {
			for _, fl := range lead.Fields {
				var want, got *string
				if p := fl.String(&in); p != nil {
					want = *p
					var back lead.Input
					back.Name, back.Phone, back.Email, back.Marks = stored.Name, stored.Phone, stored.Email, stored.Marks()
					got = *fl.String(&back)
				} else {
					continue
				}
				if got == nil || *got != *want {
					t.Errorf("%s = %v, want %q", fl.Name, got, *want)
				}
			}
			if *stored.RemoteID != 1<<53 || *stored.Cost != -5 || stored.AccountID != f.acc.ID || *stored.UserIDOwner != r.owner.ID {
				t.Errorf("stored = %+v", stored)
			}
			if stored.NotAnswer != nil || stored.ClientID != nil || stored.UserIDCreate != nil || stored.DtNotAnswer != nil {
				t.Errorf("fields no sender sets are not null: %+v", stored)
			}
		})
		t.Run("extra is byte-exact", func(t *testing.T) {
			if !bytes.Equal(stored.Extra, in.Extra) {
				t.Fatalf("extra = %s, want %s", stored.Extra, in.Extra)
			}
		})
		t.Run("dtCreate and dtUpdate are the store's clock", func(t *testing.T) {
			if stored.DtCreate != clock.Unix() || stored.DtUpdate != clock.Unix() {
				t.Fatalf("dtCreate %d, dtUpdate %d; want %d", stored.DtCreate, stored.DtUpdate, clock.Unix())
			}
			if ds := f.deliveries(t); len(ds) != 1 || ds[0].Received != clock.UnixMilli() || *ds[0].LeadID != stored.ID {
				t.Fatalf("deliveries = %+v; want one received at %d", ds, clock.UnixMilli())
			}
		})
		t.Run("LeadRaw is the delivery body", func(t *testing.T) {
			got, err := f.s.LeadRaw(ctx, f.acc.ID, stored.ID)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("LeadRaw = %q, %v; want %q", got, err, raw)
			}
			if stored.DeliveryID == nil || *stored.DeliveryID != f.deliveries(t)[0].ID {
				t.Fatalf("deliveryId = %v", stored.DeliveryID)
			}
		})
		t.Run("the answer is rendered from the stored lead", func(t *testing.T) {
			want, _ := render(&stored)
			if !bytes.Equal(out.Body, want) || out.Status != 201 || out.Replayed {
				t.Fatalf("outcome = %d %s (replayed %v)", out.Status, out.Body, out.Replayed)
			}
		})
		t.Run("another account sees nothing", func(t *testing.T) {
			o := f.other(t)
			_, err := f.s.GetLead(ctx, o.acc.ID, stored.ID)
			wantCode(t, err, lead.ENotFound)
			_, err = f.s.LeadRaw(ctx, o.acc.ID, stored.ID)
			wantCode(t, err, lead.ENotFound)
			_, err = f.s.GetLead(ctx, f.acc.ID, stored.ID+1000)
			wantCode(t, err, lead.ENotFound)
		})
	})
}

func TestCreateLeadExtra(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		for i, extra := range []string{
			"",
			`{}`,
			`{"b":1,"a":2}`,
			"{ \"x\" :\t[1, 2.50, \"é\"] ,\n\"y\":{}}",
			`{"k":"\u0000\ud83d\ude00\"\\","n":-0.0e+0}`,
			`{"Ключ":"значение 😀"}`,
		} {
			t.Run(fmt.Sprintf("%q", extra), func(t *testing.T) {
				in := f.intake(fmt.Sprintf("7999555666%d", i), "")
				if extra != "" {
					in.Input.Extra = []byte(extra)
				}
				out := f.create(t, in)
				stored, err := f.s.GetLead(context.Background(), f.acc.ID, out.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if string(stored.Extra) != extra || (extra == "" && stored.Extra != nil) {
					t.Fatalf("extra = %q, want %q", stored.Extra, extra)
				}
			})
		}
	})
}

// TestDuplicatesTable follows SPEC 2: firstId is the earliest lead of the
// account sharing the phone or the email, otherCount how many earlier ones
// share either.
func TestDuplicatesTable(t *testing.T) {
	type step struct {
		phone, email string
		other        bool // sent to another account's webhook
		first        int  // index of the step firstId names, -1 for null
		count        int64
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"phone only", []step{{"p", "", false, -1, 0}, {"p", "", false, 0, 1}, {"p", "", false, 0, 2}}},
		{"email only, any case", []step{{"", "e@x.ru", false, -1, 0}, {"", "E@X.RU", false, 0, 1}, {"", "e@X.ru", false, 0, 2}}},
		{"phone and email", []step{{"p", "e@x.ru", false, -1, 0}, {"p", "e@x.ru", false, 0, 1}}},
		{"chain through both", []step{
			{"p", "", false, -1, 0}, {"", "e@x.ru", false, -1, 0}, {"p", "e@x.ru", false, 0, 2},
			{"", "e@x.ru", false, 1, 2}, // shares only the email: B is its earliest
			{"q", "e@x.ru", false, 1, 3},
		}},
		{"either contact matches", []step{{"p", "a@x.ru", false, -1, 0}, {"q", "a@x.ru", false, 0, 1}, {"p", "b@x.ru", false, 0, 1}}},
		{"different contacts are independent", []step{{"p", "a@x.ru", false, -1, 0}, {"q", "b@x.ru", false, -1, 0}}},
		{"another account's leads do not count", []step{
			{"p", "e@x.ru", true, -1, 0}, {"p", "e@x.ru", false, -1, 0}, {"p", "e@x.ru", true, 0, 1}, {"p", "", false, 1, 1},
		}},
		{"no contacts at all", []step{{"", "", false, -1, 0}, {"", "", false, -1, 0}}},
	}
	forEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		o := f.other(t)
		for ci, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Contacts unique to the case, so the cases do not see each other.
				contact := func(v string) string {
					switch v {
					case "":
						return ""
					case "p", "q":
						return fmt.Sprintf("7999%03d%04d", ci, v[0])
					}
					return fmt.Sprintf("c%d.%s", ci, v)
				}
				var ids []int64
				for i, st := range tc.steps {
					on := f
					if st.other {
						on = o
					}
					out := on.create(t, on.intake(contact(st.phone), contact(st.email)))
					ids = append(ids, out.Lead.ID)
					stored, err := on.s.GetLead(context.Background(), on.acc.ID, out.Lead.ID)
					if err != nil {
						t.Fatal(err)
					}
					var want *int64
					if st.first >= 0 {
						want = &ids[st.first]
					}
					for _, l := range []lead.Lead{out.Lead, stored} {
						if show(l.FirstID) != show(want) || l.OtherCount != st.count {
							t.Fatalf("step %d: firstId %s otherCount %d; want firstId %s otherCount %d",
								i, show(l.FirstID), l.OtherCount, show(want), st.count)
						}
					}
				}
			})
		}
	})
}

// TestDefaultFunnel shows a new account's funnel, and that a new lead
// starts at its first stage unless it or its source names one, by every
// path of the pipeline; an account without stages leaves the stage empty.
func TestDefaultFunnel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		stages, err := f.s.ListStages(ctx, f.acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range stages {
			got = append(got, fmt.Sprintf("%d %s %s %s", st.Position, st.Name, st.Color, st.Outcome))
		}
		want := []string{"1 Новая #3b82f6 open", "2 В работе #f59e0b open", "3 Встреча назначена #8b5cf6 open",
			"4 Успешно #16a34a won", "5 Отказ #dc2626 lost"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("a new account's funnel = %q, want %q", got, want)
		}

		// The head of the funnel moves: new leads follow it.
		if _, err := f.s.MoveStage(ctx, f.acc.ID, stages[1].ID, 1); err != nil {
			t.Fatal(err)
		}
		out := f.create(t, f.intake("79993330001", ""))
		added, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: lead.Input{Phone: ptr("79993330002")}})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []lead.Lead{out.Lead, added} {
			if show(l.FunnelStageID) != show(&stages[1].ID) {
				t.Fatalf("lead %d is at stage %s, want the first, %d", l.ID, show(l.FunnelStageID), stages[1].ID)
			}
		}
		named := f.intake("79993330003", "")
		named.Input.FunnelStageID = &stages[3].ID
		if l := f.create(t, named).Lead; show(l.FunnelStageID) != show(&stages[3].ID) {
			t.Fatalf("a lead naming stage %d is at %s", stages[3].ID, show(l.FunnelStageID))
		}

		o := f.other(t).emptyFunnel(t)
		if l := o.create(t, o.intake("79993330004", "")).Lead; l.FunnelStageID != nil {
			t.Fatalf("a lead of an account without stages is at stage %d", *l.FunnelStageID)
		}
	})
}
