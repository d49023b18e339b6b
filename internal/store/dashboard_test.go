package store_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestDashboardMatchesBruteForce checks LoadDashboard's counts against the
// leads counted one by one: per source and day, per stage, the top
// campaigns, the total and the duplicates of live leads from the first day
// on (a lead dated after the last day counts, but is not drawn).
func TestDashboardMatchesBruteForce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		normalize := intake.New("RU").NormalizePhone
		f := newFixture(t, engine)
		o := f.other(t)
		site := f.source(t, lead.Source{Name: "Site two", Type: lead.SourceWebhook})
		a, b := f.refs(t, "a"), f.refs(t, "b")
		r := rand.New(rand.NewPCG(14, 3))
		from := inboxStart
		const days = 10
		var mine []lead.Lead
		for i := range 260 {
			// From two days before the first to a day after the last.
			setClock(f.s, from.Add(time.Duration(r.Int64N((days+3)*86400)-2*86400)*time.Second))
			in := genInput(r, i%40, normalize) // repeats, so some are duplicates
			if i%5 == 4 {
				o.add(t, in)
				continue
			}
			switch r.IntN(3) {
			case 0:
				in.SourceID = &site.ID
			case 1:
				in.FunnelStageID = &a.stage.ID
			}
			if r.IntN(2) == 0 {
				in.FunnelStageID = &b.stage.ID
			}
			if c := r.IntN(14); c < 12 {
				in.Marks.UTMCampaign = ptr(fmt.Sprintf("camp%d", c))
			}
			l := f.add(t, in)
			if r.IntN(15) == 0 {
				if err := f.s.DeleteLead(ctx, f.acc.ID, nil, l.ID); err != nil {
					t.Fatal(err)
				}
				continue
			}
			mine = append(mine, l)
		}

		got, err := f.s.LoadDashboard(ctx, f.acc.ID, from, days)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Dashboard{From: from.Unix(), Days: days, PerDay: map[int64][]int64{}, ByStage: map[int64]int64{}}
		campaigns := map[string]int64{}
		for _, l := range mine {
			if l.DtCreate < want.From {
				continue
			}
			want.Total++
			if l.FirstID != nil {
				want.Duplicates++
			}
			want.ByStage[deref(l.FunnelStageID)]++
			if l.UTMCampaign != nil {
				campaigns[*l.UTMCampaign]++
			}
			day := (l.DtCreate - want.From) / 86400
			if day >= days {
				continue
			}
			src := deref(l.SourceID)
			if want.PerDay[src] == nil {
				want.PerDay[src] = make([]int64, days)
			}
			want.PerDay[src][day]++
		}
		for name, n := range campaigns {
			want.Campaigns = append(want.Campaigns, store.CampaignCount{Name: name, Leads: n})
		}
		slices.SortFunc(want.Campaigns, func(x, y store.CampaignCount) int {
			return cmp.Or(cmp.Compare(y.Leads, x.Leads), cmp.Compare(x.Name, y.Name))
		})
		want.Campaigns = want.Campaigns[:min(10, len(want.Campaigns))]
		if want.Duplicates == 0 || len(want.ByStage) < 3 || len(want.PerDay) < 2 || want.Total == int64(len(mine)) {
			t.Fatalf("the generated leads do not cover the cases: %+v", want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("LoadDashboard:\ngot  %+v\nwant %+v", got, want)
		}
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
