package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// TestPeriodMatchesBruteForce checks the period filter, which pages by the
// ids lead_hours bounds (migration 0014), against the straightforward
// answer: every live lead of the account whose dt_create is in the period,
// newest id first. The leads come out of time order — some far in the past
// or the future of their neighbours, some in concurrent groups — so that
// ids do not follow dt_create, and the periods start and end on leads'
// own seconds, on hours and beside them.
func TestPeriodMatchesBruteForce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		normalize := intake.New("RU").NormalizePhone
		f := newFixture(t, engine)
		o := f.other(t)
		site := f.source(t, lead.Source{Name: "Site two", Type: lead.SourceWebhook})
		r := rand.New(rand.NewPCG(14, 2))
		base := inboxStart.Unix()
		when := func(i int) int64 {
			switch r.IntN(10) {
			case 0: // anywhere in 40 days around: an out-of-order lead
				return base + r.Int64N(40*86400) - 30*86400
			case 1: // on an hour
				return base + int64(i)*1200/3600*3600
			}
			return base + int64(i)*1200 + r.Int64N(6*3600) - 3*3600
		}
		mine := map[int64]lead.Lead{}
		const n = 240
		for i := range n {
			setClock(f.s, time.Unix(when(i), 0))
			in := genInput(r, i, normalize)
			if i%4 == 3 { // the other account's leads, at the same times, are never found
				o.add(t, in)
				continue
			}
			if r.IntN(3) == 0 {
				in.SourceID = &site.ID
			}
			l := f.add(t, in)
			mine[l.ID] = l
		}
		// Concurrent groups, each lead at a time of its own.
		var k atomic.Int64
		times := make([]int64, 64)
		for i := range times {
			times[i] = when(r.IntN(n))
		}
		f.s.SetClock(func() time.Time { return time.Unix(times[k.Add(1)%int64(len(times))], 0) })
		inputs := make([]lead.Input, 64)
		for i := range inputs {
			inputs[i] = genInput(r, n+i, normalize)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(inputs); i += 8 {
					l, err := f.s.AddLead(ctx, store.NewLead{AccountID: f.acc.ID, Input: inputs[i]})
					if err != nil {
						t.Errorf("AddLead: %v", err)
						return
					}
					mu.Lock()
					mine[l.ID] = l
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var ids []int64
		for id := range mine {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if r.IntN(12) == 0 {
				if err := f.s.DeleteLead(ctx, f.acc.ID, nil, id); err != nil {
					t.Fatal(err)
				}
				delete(mine, id)
			}
		}
		inverted := 0
		for i := 1; i < len(ids); i++ {
			if mine[ids[i]].DtCreate < mine[ids[i-1]].DtCreate {
				inverted++
			}
		}
		if inverted < 20 {
			t.Fatalf("only %d leads are older than the lead before them: the test needs ids out of time order", inverted)
		}

		// Bounds: leads' own seconds and beside them, hours, and far away.
		var edges []int64
		for _, l := range mine {
			edges = append(edges, l.DtCreate, l.DtCreate+1, l.DtCreate/3600*3600)
		}
		edges = append(edges, 1, base-100*86400, base+100*86400)
		edge := func() int64 {
			if r.IntN(8) == 0 {
				return 0 // an open side
			}
			return edges[r.IntN(len(edges))]
		}
		for range 150 {
			lf := store.LeadFilter{From: edge(), To: edge()}
			if lf.From == 0 && lf.To == 0 {
				lf.From = base
			}
			switch r.IntN(5) {
			case 0:
				lf.SourceID = &site.ID
			case 1:
				lf.DuplicatesOnly = true
			case 2:
				last := []rune(genLast[r.IntN(len(genLast))])
				lf.Text = string(last[:min(3, len(last))])
			}
			want := periodBruteForce(mine, lf)
			if got := allPages(t, f, lf); !slices.Equal(got, want) {
				t.Fatalf("%+v:\ngot  %v\nwant %v", lf, got, want)
			}
			if n, exact, err := f.s.CountLeadsUpTo(ctx, f.acc.ID, lf, 0); err != nil || !exact || n != int64(len(want)) {
				t.Fatalf("count %+v: %d %v %v, want %d", lf, n, exact, err, len(want))
			}
		}
	})
}

// periodBruteForce is the leads' answer to lf's period, source, duplicates
// and text, newest id first.
func periodBruteForce(ls map[int64]lead.Lead, lf store.LeadFilter) []int64 {
	in := map[int64]lead.Lead{}
	for id, l := range ls {
		switch {
		case lf.From > 0 && l.DtCreate < lf.From, lf.To > 0 && l.DtCreate >= lf.To:
		case lf.SourceID != nil && (l.SourceID == nil || *l.SourceID != *lf.SourceID):
		case lf.DuplicatesOnly && l.FirstID == nil:
		default:
			in[id] = l
		}
	}
	return bruteForce(in, lf)
}
