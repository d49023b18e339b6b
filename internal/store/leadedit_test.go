package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

func TestAddLead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		clock := time.Date(2024, 4, 1, 10, 0, 0, 0, time.UTC)
		setClock(f.s, clock)

		t.Run("duplicates are counted across the webhook and AddLead", func(t *testing.T) {
			type step struct {
				via          string // "webhook" or "add"
				phone, email string
				first        int // index of the step whose lead is firstId, -1 for none
				others       int64
			}
			steps := []step{
				{"webhook", "79993000001", "", -1, 0},
				{"add", "79993000001", "", 0, 1},
				{"webhook", "", "kim@example.com", -1, 0},
				{"add", "79993000001", "KIM@Example.com", 0, 3},
				{"webhook", "", "kim@example.com", 2, 2},
				{"add", "79993000002", "", -1, 0},
			}
			var made []lead.Lead
			for i, st := range steps {
				var l lead.Lead
				if st.via == "webhook" {
					l = f.create(t, f.intake(st.phone, st.email)).Lead
				} else {
					l = f.add(t, contact(st.phone, st.email))
				}
				var want *int64
				if st.first >= 0 {
					want = &made[st.first].ID
				}
				stored := f.get(t, l.ID)
				for _, got := range []lead.Lead{l, stored} {
					if show(got.FirstID) != show(want) || got.OtherCount != st.others {
						t.Fatalf("step %d (%s): firstId=%s otherCount=%d, want %s and %d",
							i, st.via, show(got.FirstID), got.OtherCount, show(want), st.others)
					}
				}
				made = append(made, l)
			}
		})

		t.Run("records the creating user, the clock and a create event", func(t *testing.T) {
			in := contact("79993000100", "")
			in.Name, in.Cost = ptr("Пётр"), ptr(int64(1500))
			l, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, UserID: &anna.ID, Input: in})
			if err != nil {
				t.Fatal(err)
			}
			stored := f.get(t, l.ID)
			if !reflect.DeepEqual(l, stored) {
				t.Fatalf("AddLead answered\n%+v\nbut stored\n%+v", l, stored)
			}
			if show(l.UserIDCreate) != show(&anna.ID) || l.UserIDUpdate != nil || l.DtCreate != clock.Unix() ||
				l.DtUpdate != clock.Unix() || l.SourceID != nil || l.DeliveryID != nil || *l.Cost != 1500 {
				t.Fatalf("lead = %+v", l)
			}
			es := f.events(t, l.ID)
			if len(es) != 1 {
				t.Fatalf("history = %+v, want one create event", es)
			}
			wantEvent(t, es[0], "create", &anna.ID, clock.Unix(), nil)
		})

		t.Run("without a user, userIdCreate is null", func(t *testing.T) {
			l := f.add(t, contact("79993000101", ""))
			if l.UserIDCreate != nil {
				t.Fatalf("userIdCreate = %s", show(l.UserIDCreate))
			}
			wantEvent(t, f.lastEvent(t, l.ID), "create", nil, clock.Unix(), nil)
		})

		t.Run("an own source may be named", func(t *testing.T) {
			in := contact("79993000102", "")
			in.SourceID = &f.src.ID
			if l := f.add(t, in); show(l.SourceID) != show(&f.src.ID) {
				t.Fatalf("sourceId = %s", show(l.SourceID))
			}
		})

		mine, theirs := f.refs(t, "mine"), o.refs(t, "theirs")
		inactive := f.user(t, "inactive@example.com")
		exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, inactive.ID)
		bad := []struct {
			name  string
			set   func(*lead.Input)
			field string
		}{
			{"another account's owner", func(in *lead.Input) { in.UserIDOwner = &theirs.owner.ID }, "userIdOwner"},
			{"an inactive owner", func(in *lead.Input) { in.UserIDOwner = &inactive.ID }, "userIdOwner"},
			{"another account's source", func(in *lead.Input) { in.SourceID = &o.src.ID }, "sourceId"},
			{"another account's office", func(in *lead.Input) { in.LocationUnitID = &theirs.office.ID }, "locationUnitId"},
			{"another account's city", func(in *lead.Input) { in.LocationCityID = &theirs.city.ID }, "locationCityId"},
			{"another account's stage", func(in *lead.Input) { in.FunnelStageID = &theirs.stage.ID }, "funnelStageId"},
			{"a stage that does not exist", func(in *lead.Input) { in.FunnelStageID = ptr(int64(987654)) }, "funnelStageId"},
		}
		for _, tc := range bad {
			t.Run("rejects "+tc.name, func(t *testing.T) {
				before := f.count(t)
				in := contact("79993000200", "")
				in.UserIDOwner, in.FunnelStageID, in.LocationUnitID = &mine.owner.ID, &mine.stage.ID, &mine.office.ID
				tc.set(&in)
				_, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: in})
				wantCode(t, err, lead.EInvalid, tc.field)
				if f.count(t) != before {
					t.Fatal("a rejected lead was stored")
				}
			})
		}
		t.Run("names every bad field", func(t *testing.T) {
			in := contact("79993000201", "")
			in.UserIDOwner, in.SourceID, in.LocationCityID = &theirs.owner.ID, &o.src.ID, &theirs.city.ID
			_, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: in})
			wantCode(t, err, lead.EInvalid, "userIdOwner", "sourceId", "locationCityId")
		})
	})
}

func TestMarkNoAnswer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		l := f.add(t, contact("79993100001", ""))
		first := time.Date(2024, 4, 2, 10, 0, 0, 0, time.UTC)
		setClock(f.s, first)

		got, err := f.s.MarkNoAnswer(ctx, f.acc.ID, &anna.ID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("sets notAnswer, dtNotAnswer, the updater and dtUpdate", func(t *testing.T) {
			for _, l := range []lead.Lead{got, f.get(t, l.ID)} {
				if l.NotAnswer == nil || !*l.NotAnswer || show(l.DtNotAnswer) != show(ptr(first.Unix())) ||
					show(l.UserIDUpdate) != show(&anna.ID) || l.DtUpdate != first.Unix() {
					t.Fatalf("lead = %+v", l)
				}
			}
		})
		t.Run("records a noAnswer event", func(t *testing.T) {
			wantEvent(t, f.lastEvent(t, l.ID), "noAnswer", &anna.ID, first.Unix(),
				map[string][2]any{"notAnswer": {nil, true}, "dtNotAnswer": {nil, first.Unix()}})
		})
		t.Run("a second call moves dtNotAnswer and records the old values", func(t *testing.T) {
			second := first.Add(time.Hour)
			setClock(f.s, second)
			got, err := f.s.MarkNoAnswer(ctx, f.acc.ID, nil, l.ID)
			if err != nil || show(got.DtNotAnswer) != show(ptr(second.Unix())) || got.UserIDUpdate != nil {
				t.Fatalf("MarkNoAnswer = %+v, %v", got, err)
			}
			wantEvent(t, f.lastEvent(t, l.ID), "noAnswer", nil, second.Unix(),
				map[string][2]any{"notAnswer": {true, true}, "dtNotAnswer": {first.Unix(), second.Unix()}})
		})
		t.Run("another account's lead is ENotFound", func(t *testing.T) {
			_, err := f.s.MarkNoAnswer(ctx, o.acc.ID, nil, l.ID)
			wantCode(t, err, lead.ENotFound)
		})
	})
}

func TestDeleteLead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		const phone = "79993200001"
		a := f.add(t, contact(phone, ""))
		b := f.create(t, f.intake(phone, "b@example.com")).Lead
		c := f.add(t, contact(phone, ""))

		t.Run("another account cannot delete it", func(t *testing.T) {
			wantCode(t, f.s.DeleteLead(ctx, o.acc.ID, nil, a.ID), lead.ENotFound)
			f.get(t, a.ID)
		})
		setClock(f.s, time.Date(2024, 4, 3, 10, 0, 0, 0, time.UTC))
		if err := f.s.DeleteLead(ctx, f.acc.ID, &anna.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("hidden from GetLead", func(t *testing.T) {
			_, err := f.s.GetLead(ctx, f.acc.ID, a.ID)
			wantCode(t, err, lead.ENotFound)
		})
		t.Run("hidden from ListLeads and CountLeads", func(t *testing.T) {
			sameIDs(t, "ListLeads", f.list(t, store.LeadFilter{}), idsOf(c, b))
			sameIDs(t, "ListLeads by phone", f.list(t, store.LeadFilter{Phone: phone}), idsOf(c, b))
			if n := f.count(t); n != 2 {
				t.Fatalf("CountLeads = %d, want 2", n)
			}
		})
		t.Run("hidden from RelatedLeads", func(t *testing.T) {
			got, err := f.s.RelatedLeads(ctx, c, 10)
			if err != nil {
				t.Fatal(err)
			}
			sameIDs(t, "RelatedLeads", got, idsOf(b))
		})
		t.Run("the history keeps a delete event", func(t *testing.T) {
			es := f.events(t, a.ID)
			if len(es) != 2 || es[0].Action != "create" {
				t.Fatalf("history = %+v", es)
			}
			wantEvent(t, es[1], "delete", &anna.ID, time.Date(2024, 4, 3, 10, 0, 0, 0, time.UTC).Unix(), nil)
		})
		t.Run("a deleted lead cannot be edited", func(t *testing.T) {
			_, err := f.s.UpdateLead(ctx, f.acc.ID, nil, a.ID, store.LeadPatch{Input: lead.Input{Name: ptr("X")}, Present: []string{"name"}})
			wantCode(t, err, lead.ENotFound)
			_, err = f.s.MarkNoAnswer(ctx, f.acc.ID, nil, a.ID)
			wantCode(t, err, lead.ENotFound)
			_, _, err = f.s.ClientFromLead(ctx, f.acc.ID, nil, a.ID)
			wantCode(t, err, lead.ENotFound)
		})
		t.Run("its raw request is hidden too", func(t *testing.T) {
			if err := f.s.DeleteLead(ctx, f.acc.ID, nil, b.ID); err != nil {
				t.Fatal(err)
			}
			_, err := f.s.LeadRaw(ctx, f.acc.ID, b.ID)
			wantCode(t, err, lead.ENotFound)
		})
		t.Run("duplicate lookups skip deleted leads", func(t *testing.T) {
			d := f.add(t, contact(phone, ""))
			if show(d.FirstID) != show(&c.ID) || d.OtherCount != 1 {
				t.Fatalf("after deleting a and b: firstId=%s otherCount=%d, want %d and 1", show(d.FirstID), d.OtherCount, c.ID)
			}
			for _, l := range []lead.Lead{c, d} {
				if err := f.s.DeleteLead(ctx, f.acc.ID, nil, l.ID); err != nil {
					t.Fatal(err)
				}
			}
			e := f.create(t, f.intake(phone, "b@example.com")).Lead
			if e.FirstID != nil || e.OtherCount != 0 {
				t.Fatalf("with every match deleted: firstId=%s otherCount=%d, want null and 0", show(e.FirstID), e.OtherCount)
			}
		})
		t.Run("a second delete is ENotFound", func(t *testing.T) {
			wantCode(t, f.s.DeleteLead(ctx, f.acc.ID, nil, a.ID), lead.ENotFound)
			wantCode(t, f.s.DeleteLead(ctx, f.acc.ID, nil, 987654), lead.ENotFound)
		})
	})
}
