package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
)

// TestQuietSources runs the quiet check on a fake clock on both engines: a
// source with a lead every working hour for a week is marked quiet when the
// next Monday's first hour passes without one, cleared when a lead comes;
// a source whose last requests were all refused is marked; a source set by
// hand uses its own gap; one with no leads ever is left alone.
func TestQuietSources(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		msk := time.FixedZone("MSK", 3*3600)
		w := lead.DefaultWorkHours(msk)
		var now time.Time
		f.s.SetClock(func() time.Time { return now })
		n := 0
		lead1 := func(src lead.Source) {
			t.Helper()
			n++
			in := f.intake(fmt.Sprintf("7999%07d", n), "")
			in.Source = src
			f.create(t, in)
		}
		refuse := func(src lead.Source) {
			t.Helper()
			if err := f.s.LogDelivery(ctx, src, lead.Delivery{Method: "POST", Status: 422, Body: []byte(`{}`)}, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		mk := func(name string, minutes int) lead.Source {
			src, err := f.s.CreateSource(ctx, lead.Source{AccountID: f.acc.ID, Name: name, Type: lead.SourceWebhook,
				Reading: lead.Reading{QuietMinutes: minutes}})
			if err != nil {
				t.Fatal(err)
			}
			return src
		}
		hourly, refused, manual, fresh := f.src, mk("Квиз", 0), mk("Директ", 600), mk("Новый", 30)
		for day := 2; day <= 6; day++ { // 2–6 Nov 2026, Monday to Friday
			for h := 9; h <= 18; h++ {
				now = time.Date(2026, 11, day, h, 30, 0, 0, msk)
				lead1(hourly)
				if h == 12 {
					lead1(manual)
				}
			}
		}
		lead1(refused)
		for range lead.QuietRefused {
			refuse(refused)
		}
		check := func(at time.Time, want ...int64) {
			t.Helper()
			now = at
			if _, err := f.s.CheckQuietSources(ctx, at, w); err != nil {
				t.Fatal(err)
			}
			got, err := f.s.QuietSources(ctx, f.acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int64{}
			for _, q := range got {
				ids = append(ids, q.SourceID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Fatalf("at %v quiet %v (%+v), want %v", at, ids, got, want)
			}
		}
		check(time.Date(2026, 11, 8, 23, 0, 0, 0, msk), refused.ID)            // Sunday: only the refusing one
		check(time.Date(2026, 11, 9, 9, 40, 0, 0, msk), refused.ID, hourly.ID) // Monday 9:40: 70 working minutes, the usual gap 60
		got, _ := f.s.QuietSources(ctx, f.acc.ID)
		if got[1].Reason != lead.QuietGap || got[1].Expected != 60 || got[1].LastLead == nil || got[0].Reason != lead.QuietRefusal {
			t.Errorf("marks %+v", got)
		}
		now = time.Date(2026, 11, 9, 9, 45, 0, 0, msk)
		lead1(hourly)
		lead1(refused) // a request taken again
		check(time.Date(2026, 11, 9, 9, 50, 0, 0, msk))
		check(time.Date(2026, 11, 9, 12, 20, 0, 0, msk), hourly.ID)            // set by hand to 600: Friday 12:30 + 390 + 200 working minutes
		check(time.Date(2026, 11, 9, 12, 40, 0, 0, msk), hourly.ID, manual.ID) // … and 610
		if _, err := f.s.SetSourceEnabled(ctx, f.acc.ID, manual.ID, false); err != nil {
			t.Fatal(err)
		}
		check(time.Date(2026, 11, 10, 12, 35, 0, 0, msk), hourly.ID) // a disabled source is not watched
		if fresh.QuietMinutes != 30 {
			t.Errorf("fresh %+v", fresh.Reading) // a source with no lead ever is never quiet by its gap: checked above throughout
		}
	})
}
