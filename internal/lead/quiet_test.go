package lead

import (
	"testing"
	"time"
)

func TestWorkMinutes(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	w := DefaultWorkHours(msk)
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, msk) } // 2 Nov 2026 is a Monday
	cases := []struct {
		from, to time.Time
		want     float64
	}{
		{at(2, 10, 0), at(2, 11, 30), 90},
		{at(2, 8, 0), at(2, 20, 0), 600},
		{at(2, 18, 0), at(3, 10, 0), 120},   // evening and the next morning
		{at(6, 18, 0), at(9, 10, 0), 120},   // Friday evening to Monday morning: the weekend counts nothing
		{at(7, 10, 0), at(8, 18, 0), 0},     // a weekend
		{at(2, 12, 0), at(2, 11, 0), 0},     // backwards
		{at(2, 9, 0), at(9, 9, 0), 5 * 600}, // a week
	}
	for _, c := range cases {
		if got := w.Minutes(c.from, c.to); got != c.want {
			t.Errorf("Minutes(%v, %v) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// TestCheckQuiet runs the check on a fake clock: a source with leads every
// working hour is quiet after more than its usual gap without one, and not
// over a weekend.
func TestCheckQuiet(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	w := DefaultWorkHours(msk)
	var leads []time.Time
	for day := 2; day <= 6; day++ { // Monday to Friday, a lead every hour from 9:30 to 18:30
		for h := 9; h <= 18; h++ {
			leads = append(leads, time.Date(2026, 11, day, h, 30, 0, 0, msk))
		}
	}
	last := leads[len(leads)-1] // Friday 18:30
	exp, ok := w.ExpectedGap(leads)
	if !ok || exp != 60 {
		t.Fatalf("expected gap %v %v, want 60 (an hour, within the day; nights count 60 working minutes too)", exp, ok)
	}
	for _, c := range []struct {
		now    time.Time
		reason string
	}{
		{time.Date(2026, 11, 6, 19, 0, 0, 0, msk), ""},       // Friday evening
		{time.Date(2026, 11, 8, 23, 0, 0, 0, msk), ""},       // Sunday night: no working time has passed
		{time.Date(2026, 11, 9, 9, 20, 0, 0, msk), ""},       // Monday 9:20: 50 working minutes
		{time.Date(2026, 11, 9, 9, 40, 0, 0, msk), QuietGap}, // Monday 9:40: 70
		{time.Date(2026, 11, 9, 15, 0, 0, 0, msk), QuietGap},
	} {
		st := w.CheckQuiet(c.now, 0, leads, last, false)
		if st.Reason != c.reason {
			t.Errorf("at %v: %+v, want %q", c.now, st, c.reason)
		}
	}
	monday := time.Date(2026, 11, 9, 15, 0, 0, 0, msk)
	if st := w.CheckQuiet(monday, 600, leads, last, false); st.Reason != "" || st.Expected != 600 {
		t.Errorf("set by hand to 600: %+v", st)
	}
	if st := w.CheckQuiet(monday, 0, leads[:5], leads[4], false); st.Reason != "" || st.Expected != 0 {
		t.Errorf("too little history: %+v", st)
	}
	if st := w.CheckQuiet(monday, 0, nil, time.Time{}, true); st.Reason != QuietRefusal {
		t.Errorf("refused: %+v", st)
	}
	if st := w.CheckQuiet(monday, 30, nil, time.Time{}, false); st.Reason != "" {
		t.Errorf("a source that never had a lead: %+v", st)
	}
}
