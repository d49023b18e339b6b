package lead

import (
	"math"
	"sort"
	"time"
)

// A source goes quiet when no lead has come for longer than its expected
// gap, counted in working hours (a form broken on Friday night is not quiet
// until Monday's first hours pass without a lead), or when its last
// QuietRefused requests were all refused. The expected gap is set by hand
// (Reading.QuietMinutes) or learned: the 95th percentile of the gaps
// between its leads over the last QuietWindow, once there are QuietMinGaps
// of them.
const (
	QuietWindow  = 30 * 24 * time.Hour
	QuietMinGaps = 10
	QuietRefused = 5
	// QuietFloor keeps a busy source's alarm from ringing at every pause
	// of a few minutes.
	QuietFloor = 60
)

// Reasons a source is quiet.
const (
	QuietGap     = "gap"
	QuietRefusal = "refused"
)

// WorkHours are the hours leads are expected in: Monday to Friday, Start to
// End o'clock in Loc.
type WorkHours struct {
	Loc        *time.Location
	Start, End int
}

// DefaultWorkHours are 9 to 19 in loc.
func DefaultWorkHours(loc *time.Location) WorkHours { return WorkHours{Loc: loc, Start: 9, End: 19} }

// Minutes returns the working minutes between from and to.
func (w WorkHours) Minutes(from, to time.Time) float64 {
	if !to.After(from) {
		return 0
	}
	from, to = from.In(w.Loc), to.In(w.Loc)
	total := 0.0
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, w.Loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		open := time.Date(day.Year(), day.Month(), day.Day(), w.Start, 0, 0, 0, w.Loc)
		shut := time.Date(day.Year(), day.Month(), day.Day(), w.End, 0, 0, 0, w.Loc)
		if open.Before(from) {
			open = from
		}
		if shut.After(to) {
			shut = to
		}
		if shut.After(open) {
			total += shut.Sub(open).Minutes()
		}
	}
	return total
}

// ExpectedGap returns the gap between leads a source's history leads one to
// expect, in working minutes: the 95th percentile of the gaps between the
// lead times (in any order), at least QuietFloor; false while the history
// has fewer than QuietMinGaps gaps of working time.
func (w WorkHours) ExpectedGap(leads []time.Time) (float64, bool) {
	sorted := append([]time.Time(nil), leads...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	var gaps []float64
	for i := 1; i < len(sorted); i++ {
		if g := w.Minutes(sorted[i-1], sorted[i]); g > 0 {
			gaps = append(gaps, g)
		}
	}
	if len(gaps) < QuietMinGaps {
		return 0, false
	}
	sort.Float64s(gaps)
	p95 := gaps[int(math.Ceil(0.95*float64(len(gaps))))-1]
	return math.Max(p95, QuietFloor), true
}

// QuietState is what the quiet check found for a source.
type QuietState struct {
	Reason   string  // QuietGap or QuietRefusal; "" when the source is not quiet
	Expected float64 // the expected gap, working minutes; 0 when none is known
	Silent   float64 // working minutes since the last lead
}

// CheckQuiet judges a source at now: its hand-set gap (0 to learn it from
// leads, the lead times of the window), the time of its last lead ever (zero
// for none), and whether its last QuietRefused requests were all refused.
// A source with no lead ever is not judged by its gap: it has not started.
func (w WorkHours) CheckQuiet(now time.Time, setMinutes int, leads []time.Time, last time.Time, refused bool) QuietState {
	st := QuietState{}
	if setMinutes > 0 {
		st.Expected = float64(setMinutes)
	} else if exp, ok := w.ExpectedGap(leads); ok {
		st.Expected = exp
	}
	if !last.IsZero() {
		st.Silent = w.Minutes(last, now)
	}
	switch {
	case refused:
		st.Reason = QuietRefusal
	case st.Expected > 0 && !last.IsZero() && st.Silent > st.Expected:
		st.Reason = QuietGap
	}
	return st
}
