package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

func TestUpdateLead(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		f := newFixture(t, engine)
		o := f.other(t)
		anna := f.user(t, "anna@example.com")
		mine, theirs := f.refs(t, "mine"), o.refs(t, "theirs")
		created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		clock := created

		// fresh makes a lead with a full set of fields at the creation time.
		fresh := func(t *testing.T) lead.Lead {
			t.Helper()
			setClock(f.s, created)
			in := contact("79994000001", "Old@Example.com")
			in.Name, in.Cost = ptr("Старое Имя"), ptr(int64(100))
			in.UserIDOwner, in.FunnelStageID, in.LocationCityID = &mine.owner.ID, &mine.stage.ID, &mine.city.ID
			in.Marks.UTMSource = ptr("yandex")
			return f.add(t, in)
		}
		// update applies a patch at a clock one hour later than the last.
		update := func(id int64, in lead.Input, present ...string) (lead.Lead, error) {
			clock = clock.Add(time.Hour)
			setClock(f.s, clock)
			return f.s.UpdateLead(ctx, f.acc.ID, &anna.ID, id, store.LeadPatch{Input: in, Present: present})
		}

		t.Run("only present fields change", func(t *testing.T) {
			l := fresh(t)
			got, err := update(l.ID, lead.Input{Name: ptr("Новое Имя"), Cost: ptr(int64(5))}, "name")
			if err != nil {
				t.Fatal(err)
			}
			want := l
			want.Name, want.UserIDUpdate, want.DtUpdate = ptr("Новое Имя"), &anna.ID, clock.Unix()
			for _, g := range []lead.Lead{got, f.get(t, l.ID)} {
				if !reflect.DeepEqual(g, want) {
					t.Fatalf("lead after the patch\n%+v\nwant\n%+v", g, want)
				}
			}
		})

		t.Run("nil in a present field clears it", func(t *testing.T) {
			l := fresh(t)
			got, err := update(l.ID, lead.Input{}, "email", "cost", "utmSource", "userIdOwner", "locationCityId")
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != nil || got.Cost != nil || got.UTMSource != nil || got.UserIDOwner != nil || got.LocationCityID != nil {
				t.Fatalf("cleared fields kept: %+v", got)
			}
			if *got.Phone != "79994000001" || *got.Name != "Старое Имя" || show(got.FunnelStageID) != show(&mine.stage.ID) {
				t.Fatalf("absent fields changed: %+v", got)
			}
			if stored := f.get(t, l.ID); !reflect.DeepEqual(stored, got) {
				t.Fatalf("stored\n%+v\nanswered\n%+v", stored, got)
			}
		})

		t.Run("records who changed what from what to what", func(t *testing.T) {
			l := fresh(t)
			_, err := update(l.ID, lead.Input{Name: ptr("Иван"), Cost: nil, FunnelStageID: &mine.stage.ID, Marks: lead.Marks{GClID: ptr("g1")}},
				"name", "cost", "funnelStageId", "gclid", "noSuchField")
			if err != nil {
				t.Fatal(err)
			}
			es := f.events(t, l.ID)
			if len(es) != 2 || es[0].Action != "create" {
				t.Fatalf("history = %+v", es)
			}
			wantEvent(t, es[1], "update", &anna.ID, clock.Unix(), map[string][2]any{
				"name": {"Старое Имя", "Иван"}, "cost": {100, nil}, "gclid": {nil, "g1"},
			})
		})

		t.Run("unchanged values make no event and keep dtUpdate", func(t *testing.T) {
			l := fresh(t)
			got, err := update(l.ID, lead.Input{Name: ptr("Старое Имя"), Phone: ptr("79994000001"), UserIDOwner: &mine.owner.ID},
				"name", "phone", "userIdOwner", "remoteId")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, l) || !reflect.DeepEqual(f.get(t, l.ID), l) {
				t.Fatalf("a no-op patch changed the lead: %+v", got)
			}
			if es := f.events(t, l.ID); len(es) != 1 {
				t.Fatalf("a no-op patch left history %+v", es)
			}
			if _, err := update(l.ID, lead.Input{}); err != nil {
				t.Fatalf("an empty patch: %v", err)
			}
			if got := f.get(t, l.ID); got.DtUpdate != created.Unix() || got.UserIDUpdate != nil {
				t.Fatalf("an empty patch bumped the lead: dtUpdate=%d userIdUpdate=%s", got.DtUpdate, show(got.UserIDUpdate))
			}
		})

		t.Run("clearing both phone and email is EInvalid on phone", func(t *testing.T) {
			l := fresh(t)
			_, err := update(l.ID, lead.Input{Name: ptr("X")}, "phone", "email", "name")
			wantCode(t, err, lead.EInvalid, "phone")
			if got := f.get(t, l.ID); !reflect.DeepEqual(got, l) || len(f.events(t, l.ID)) != 1 {
				t.Fatalf("a refused patch was written: %+v", got)
			}
			if _, err := update(l.ID, lead.Input{}, "email"); err != nil {
				t.Fatalf("clearing the email alone: %v", err)
			}
			_, err = update(l.ID, lead.Input{}, "phone")
			wantCode(t, err, lead.EInvalid, "phone")
		})

		bad := []struct {
			name  string
			in    lead.Input
			field string
		}{
			{"owner", lead.Input{UserIDOwner: &theirs.owner.ID}, "userIdOwner"},
			{"source", lead.Input{SourceID: &o.src.ID}, "sourceId"},
			{"office", lead.Input{LocationUnitID: &theirs.office.ID}, "locationUnitId"},
			{"city", lead.Input{LocationCityID: &theirs.city.ID}, "locationCityId"},
			{"stage", lead.Input{FunnelStageID: &theirs.stage.ID}, "funnelStageId"},
		}
		for _, tc := range bad {
			t.Run("another account's "+tc.name+" is EInvalid", func(t *testing.T) {
				l := fresh(t)
				_, err := update(l.ID, tc.in, tc.field)
				wantCode(t, err, lead.EInvalid, tc.field)
				if got := f.get(t, l.ID); !reflect.DeepEqual(got, l) {
					t.Fatalf("a refused patch was written: %+v", got)
				}
			})
		}

		t.Run("a stale reference does not block an unrelated edit", func(t *testing.T) {
			gone := f.user(t, "gone@example.com")
			l := fresh(t)
			if _, err := update(l.ID, lead.Input{UserIDOwner: &gone.ID}, "userIdOwner"); err != nil {
				t.Fatal(err)
			}
			exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, gone.ID)
			got, err := update(l.ID, lead.Input{Name: ptr("Renamed"), UserIDOwner: &gone.ID}, "name", "userIdOwner")
			if err != nil {
				t.Fatalf("unrelated edit: %v", err)
			}
			if *got.Name != "Renamed" || show(got.UserIDOwner) != show(&gone.ID) {
				t.Fatalf("lead = %+v", got)
			}
			other := f.user(t, "gone2@example.com")
			exec(t, f.s, "UPDATE users SET active = $1 WHERE id = $2", false, other.ID)
			_, err = update(l.ID, lead.Input{UserIDOwner: &other.ID}, "userIdOwner")
			wantCode(t, err, lead.EInvalid, "userIdOwner")
		})

		t.Run("another account's lead is ENotFound", func(t *testing.T) {
			l := fresh(t)
			_, err := o.s.UpdateLead(ctx, o.acc.ID, nil, l.ID, store.LeadPatch{Input: lead.Input{Name: ptr("X")}, Present: []string{"name"}})
			wantCode(t, err, lead.ENotFound)
			_, err = update(987654, lead.Input{Name: ptr("X")}, "name")
			wantCode(t, err, lead.ENotFound)
		})

		t.Run("name search finds the new name", func(t *testing.T) {
			l := fresh(t)
			if _, err := update(l.ID, lead.Input{Name: ptr("Ёлкин Тимофей")}, "name"); err != nil {
				t.Fatal(err)
			}
			sameIDs(t, "search for the new name", f.list(t, store.LeadFilter{Text: "ёлкин тим"}), idsOf(l))
			for _, got := range f.list(t, store.LeadFilter{Text: "старое"}) {
				if got.ID == l.ID {
					t.Fatal("the old name still finds the lead")
				}
			}
			if _, err := update(l.ID, lead.Input{}, "name"); err != nil {
				t.Fatal(err)
			}
			if got := f.list(t, store.LeadFilter{Text: "ёлкин"}); len(got) != 0 {
				t.Fatalf("a cleared name still finds leads %v", leadIDs(got))
			}
		})

		t.Run("the duplicate lookup uses the new email", func(t *testing.T) {
			l := fresh(t)
			if _, err := update(l.ID, lead.Input{Email: ptr("Fresh.Mail@Example.COM")}, "email"); err != nil {
				t.Fatal(err)
			}
			sameIDs(t, "search for the new email", f.list(t, store.LeadFilter{Text: "fresh.mail@"}), idsOf(l))
			later := f.add(t, contact("", "fresh.mail@example.com"))
			if show(later.FirstID) != show(&l.ID) || later.OtherCount != 1 {
				t.Fatalf("a later lead with the new email: firstId=%s otherCount=%d, want %d and 1",
					show(later.FirstID), later.OtherCount, l.ID)
			}
		})
	})
}
