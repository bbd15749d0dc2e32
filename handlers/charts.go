package handlers

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"sync/atomic"
)

// Charts are drawn here as SVG, in the page itself: no script, no library,
// nothing fetched, readable by a screen reader (role="img" with a title and
// a description that says the numbers). Every text that goes into the SVG
// is escaped here, which is why the result may be template.HTML.

// chartColors are distinct at a glance and dark enough for thin lines on
// white.
var chartColors = []string{"#0b57a4", "#a3161b", "#1a6b2f", "#8a5a00", "#5b2a86", "#00707a", "#b04a00", "#444444"}

type barItem struct {
	Label string
	Value int
}

var chartSeq atomic.Int64

// chartID gives each chart of a page ids of its own for aria-labelledby.
func chartID(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, chartSeq.Add(1)%1_000_000)
}

// barChart draws horizontal bars, one row per item, largest scale first.
func barChart(title string, items []barItem) template.HTML {
	const (
		width, labelW, rowH, valueW = 480, 150, 24, 56
		barMax                      = width - labelW - valueW
	)
	max := 1
	for _, it := range items {
		if it.Value > max {
			max = it.Value
		}
	}
	h := len(items)*rowH + 8
	if len(items) == 0 {
		h = 40
	}
	id := chartID("bar")
	var b strings.Builder
	var desc []string
	for _, it := range items {
		desc = append(desc, fmt.Sprintf("%s %d", it.Label, it.Value))
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" class="bars">`,
		width, h, width, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(title), id,
		html.EscapeString(strings.Join(desc, "；")))
	if len(items) == 0 {
		b.WriteString(`<text x="8" y="24" fill="#555" font-size="14">暂无数据</text>`)
	}
	for i, it := range items {
		y := i*rowH + 4
		w := it.Value * barMax / max
		if it.Value > 0 && w < 2 {
			w = 2
		}
		label := []rune(it.Label)
		if len(label) > 12 {
			label = append(label[:11], '…')
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="#1a1a1a">%s</text>`,
			labelW-8, y+16, html.EscapeString(string(label)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s：%d</title></rect>`,
			labelW, y+3, w, rowH-8, chartColors[0], html.EscapeString(it.Label), it.Value)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#1a1a1a">%d</text>`, labelW+w+6, y+16, it.Value)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type lineSeries struct {
	Label  string
	Values []int
}

// lineChart draws one line per series over the days (YYYY-MM-DD), with a
// legend.
func lineChart(title string, days []string, series []lineSeries) template.HTML {
	const (
		width, height          = 720, 280
		left, right, top, base = 44, 28, 12, 40
		plotW, plotH           = width - left - right, height - top - base
	)
	max := 0
	for _, s := range series {
		for _, v := range s.Values {
			if v > max {
				max = v
			}
		}
	}
	max = niceCeil(max)
	id := chartID("line")
	var b strings.Builder
	var desc []string
	for _, s := range series {
		total := 0
		for _, v := range s.Values {
			total += v
		}
		desc = append(desc, fmt.Sprintf("%s 共 %d", s.Label, total))
	}
	span := ""
	if len(days) > 0 {
		span = days[0] + " 至 " + days[len(days)-1] + "："
	}
	legendH := ((len(series) + 3) / 4) * 18
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" class="lines">`,
		width, height+legendH, width, height+legendH, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(title), id,
		html.EscapeString(span+strings.Join(desc, "；")))
	// Grid and y labels.
	for i := 0; i <= 4; i++ {
		y := top + plotH - i*plotH/4
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#d0d7de"/>`, left, y, left+plotW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#555">%d</text>`, left-6, y+4, max*i/4)
	}
	x := func(i int) int {
		if len(days) <= 1 {
			return left + plotW/2
		}
		return left + i*plotW/(len(days)-1)
	}
	step := max1(len(days) / 8)
	for i, d := range days {
		if i%step != 0 && i != len(days)-1 {
			continue
		}
		label := d
		if len(d) == 10 {
			label = d[5:]
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" fill="#555">%s</text>`,
			x(i), top+plotH+18, html.EscapeString(label))
	}
	for si, s := range series {
		color := chartColors[si%len(chartColors)]
		var pts []string
		for i, v := range s.Values {
			y := top + plotH
			if max > 0 {
				y -= v * plotH / max
			}
			pts = append(pts, fmt.Sprintf("%d,%d", x(i), y))
		}
		stroke := 2
		if si == 0 {
			stroke = 3
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%d" points="%s"><title>%s</title></polyline>`,
			color, stroke, strings.Join(pts, " "), html.EscapeString(s.Label))
		lx, ly := left+(si%4)*170, height+(si/4)*18
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/>`, lx, ly-6, color)
		label := []rune(s.Label)
		if len(label) > 10 {
			label = append(label[:9], '…')
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a">%s</text>`, lx+20, ly, html.EscapeString(string(label)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds a maximum up to a number the four grid lines divide
// evenly and a person reads easily.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	p := 1
	for p*10 < n {
		p *= 10
	}
	for _, m := range []int{1, 2, 4, 5, 8, 10} {
		if m*p >= n && (m*p)%4 == 0 {
			return m * p
		}
	}
	return ((n + 3) / 4) * 4
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
