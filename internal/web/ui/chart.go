package ui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"leadbox/internal/store"
)

// The dashboard's charts are SVG drawn on the server: Go works out the
// geometry, the template draws it, and each shape carries a <title> with its
// numbers for hovering; the same numbers are listed under each chart.

var palette = []string{"#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#475569"}

type charts struct {
	Days       dayChart
	Stages     hbarChart
	Campaigns  hbarChart
	Total      int64
	Duplicates int64
	DupShare   string
	DupDash    string // stroke-dasharray of the donut's duplicate arc
}

type dayChart struct {
	W, H   int
	Bars   []dayBar
	Legend []legendItem
	Max    int64
	Ticks  []tick
}

type dayBar struct {
	X, W  float64
	Label string
	Total int64
	Segs  []seg
}

type seg struct {
	Y, H  float64
	Color string
	Title string
}

type tick struct {
	Y     float64
	Label string
}

type legendItem struct {
	Name  string
	Color string
	Count int64
}

type hbarChart struct {
	W, H int
	Bars []hbar
}

type hbar struct {
	Y, W  float64
	LX    float64 // where the label starts
	Out   bool    // the label is beside the bar, the bar being too short to hold it
	Name  string
	Color string
	Count int64
}

func buildCharts(d store.Dashboard, n *names, from time.Time, t func(string) string) charts {
	c := charts{Total: d.Total, Duplicates: d.Duplicates, DupShare: percent(d.Duplicates, d.Total)}
	c.Days = dayBars(d, n, from, t)
	var stages []hbar
	for i, st := range n.Stages {
		if k := d.ByStage[st.ID]; k > 0 {
			stages = append(stages, hbar{Name: st.Name, Color: cmp.Or(st.Color, palette[i%len(palette)]), Count: k})
		}
	}
	if k := d.ByStage[0]; k > 0 {
		stages = append(stages, hbar{Name: t("dash.noStage"), Color: "#94a3b8", Count: k})
	}
	c.Stages = hbars(stages)
	var camps []hbar
	for i, x := range d.Campaigns {
		camps = append(camps, hbar{Name: x.Name, Color: palette[i%len(palette)], Count: x.Leads})
	}
	c.Campaigns = hbars(camps)
	circ := 2 * math.Pi * 40
	share := 0.0
	if d.Total > 0 {
		share = float64(d.Duplicates) / float64(d.Total)
	}
	c.DupDash = fmt.Sprintf("%.2f %.2f", share*circ, circ)
	return c
}

// dayBars stacks each day's leads by source.
func dayBars(d store.Dashboard, n *names, from time.Time, t func(string) string) dayChart {
	const w, h, left, bottom, top = 720, 240, 36, 24, 8
	ch := dayChart{W: w, H: h}
	srcs := make([]int64, 0, len(d.PerDay))
	for id := range d.PerDay {
		srcs = append(srcs, id)
	}
	slices.Sort(srcs)
	totals := make([]int64, d.Days)
	for i, id := range srcs {
		var sum int64
		for day, k := range d.PerDay[id] {
			totals[day] += k
			sum += k
		}
		nm := name(n.source, &id)
		if id == 0 {
			nm = t("dash.noSource")
		}
		ch.Legend = append(ch.Legend, legendItem{Name: nm, Color: palette[i%len(palette)], Count: sum})
	}
	ch.Max = max(slices.Max(append(totals, 1)), 1)
	scale := float64(h-bottom-top) / float64(ch.Max)
	slot := float64(w-left) / float64(d.Days)
	for day := 0; day < d.Days; day++ {
		date := from.AddDate(0, 0, day)
		b := dayBar{X: float64(left) + float64(day)*slot + 1, W: slot - 2, Total: totals[day], Label: date.Format("02.01")}
		y := float64(h - bottom)
		for i, id := range srcs {
			k := d.PerDay[id][day]
			if k == 0 {
				continue
			}
			hh := float64(k) * scale
			y -= hh
			b.Segs = append(b.Segs, seg{Y: y, H: hh, Color: palette[i%len(palette)],
				Title: fmt.Sprintf("%s · %s: %d", date.Format("02.01.2006"), ch.Legend[i].Name, k)})
		}
		ch.Bars = append(ch.Bars, b)
	}
	for _, f := range []float64{0, 0.5, 1} {
		v := int64(math.Round(float64(ch.Max) * f))
		ch.Ticks = append(ch.Ticks, tick{Y: float64(h-bottom) - float64(v)*scale, Label: itoa(v)})
	}
	return ch
}

// hbars lays out horizontal bars, longest for the largest count.
func hbars(bars []hbar) hbarChart {
	const w, row = 360, 28
	var top int64 = 1
	for _, b := range bars {
		top = max(top, b.Count)
	}
	for i := range bars {
		bars[i].Y = float64(i * row)
		bars[i].W = math.Max(2, float64(w-10)*float64(bars[i].Count)/float64(top))
		// About 7 px a character at 12 px: a label longer than its bar
		// goes beside it, in the text's colour, where it fits.
		label := 7 * float64(utf8.RuneCountInString(bars[i].Name)+3+len(strconv.FormatInt(bars[i].Count, 10)))
		bars[i].LX = 6
		if bars[i].W < label+12 && bars[i].W+6+label <= w {
			bars[i].LX, bars[i].Out = bars[i].W+6, true
		}
	}
	return hbarChart{W: w, H: max(len(bars)*row, row), Bars: bars}
}
