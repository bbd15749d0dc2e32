package search

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"

	"weiquan"
)

// The dashboard counts cases with facets of the index, never by reading
// cases: with a hundred thousand cases only the index answers in time.
// Two fields exist only to be counted:
//
//   - trend holds, per case, its day of registration (Asia/Shanghai) alone
//     and paired with the case's channel, category, unit and city, so one
//     facet over the cases of the last weeks gives every daily series;
//   - recovered holds the amount recovered (挽回经济损失) of a resolved case
//     as one term per non-zero decimal digit, "position:digit", and "n".
//     A facet counts how many cases have each digit in each position, so
//     Σ count × digit × 10^position is the exact sum, which a facet could
//     not give from the amounts themselves (there would be as many terms as
//     distinct amounts, and facets are capped).

// Trend dimensions: the prefix of a trend term and the name of its series.
const (
	TrendTotal    = "total"
	TrendChannel  = "channel"
	TrendCategory = "category"
	TrendUnit     = "unit"
	TrendCity     = "city"
)

var trendPrefix = map[string]string{
	"d": TrendTotal, "c": TrendChannel, "g": TrendCategory, "u": TrendUnit, "y": TrendCity,
}

const dayLayout = "2006-01-02"

// trendTerms are a case's terms in the trend field.
func trendTerms(c *weiquan.Case) []string {
	if c.CreatedAt.IsZero() {
		return nil
	}
	day := c.CreatedAt.In(weiquan.Shanghai).Format(dayLayout)
	return []string{
		"d|" + day,
		"c|" + day + "|" + orUnset(string(c.Channel)),
		"g|" + day + "|" + orUnset(c.Subject.Category),
		"u|" + day + "|" + orUnset(c.UnitID),
		"y|" + day + "|" + orUnset(weiquan.CityCode(c.Respondent.DivisionCode)),
	}
}

// recoveredTerms are a resolved case's terms in the recovered field; nil for
// any other case.
func recoveredTerms(c *weiquan.Case) []string {
	if c.Outcome != weiquan.OutcomeResolved {
		return nil
	}
	out := []string{"n"}
	n := c.Result.AmountRecoveredFen
	for p := 0; n > 0; p++ {
		if d := n % 10; d > 0 {
			out = append(out, fmt.Sprintf("%02d:%d", p, d))
		}
		n /= 10
	}
	return out
}

// Stats are the counts behind the dashboard for the cases a query matches.
type Stats struct {
	Total uint64 `json:"total"`
	// Facets count the matching cases by status, channel, category, unit and
	// city, every value that occurs.
	Facets map[string][]FacetCount `json:"facets"`
	// Resolved is the number of matching cases closed with an agreement,
	// RecoveredFen what they recovered in total.
	Resolved     int   `json:"resolved"`
	RecoveredFen int64 `json:"recovered_fen"`
}

// Trend is the number of cases registered per day, in total and by
// channel, category, unit and city.
type Trend struct {
	// Days are the days counted, oldest first (YYYY-MM-DD, Asia/Shanghai).
	Days []string `json:"days"`
	// Series maps a dimension (TrendTotal, TrendChannel, …) to its values,
	// each with one count per day; the total's one value is "".
	Series map[string]map[string][]int `json:"series"`
}

// Stats counts the cases q matches (its paging and order are ignored).
func (ix *Index) Stats(ctx context.Context, q Query) (Stats, error) {
	out := Stats{Facets: map[string][]FacetCount{}}
	for _, f := range facetFields {
		out.Facets[f.name] = []FacetCount{}
	}
	c, err := ix.compile(q)
	if err != nil || c.nothing {
		return out, err
	}
	req := bleve.NewSearchRequestOptions(c.q, 0, 0, false)
	req.Score = bleve.ScoreNone
	for _, f := range facetFields {
		// Every value, not the top few: the dashboard's table lists them all.
		req.AddFacet(f.name, bleve.NewFacetRequest(f.field, 2000))
	}
	req.AddFacet(fRecovered, bleve.NewFacetRequest(fRecovered, 200))
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return out, unavailable(fmt.Errorf("stats: %w", err))
	}
	out.Total = res.Total
	for _, f := range facetFields {
		if fr := res.Facets[f.name]; fr != nil && fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				out.Facets[f.name] = append(out.Facets[f.name], FacetCount{Value: t.Term, Count: t.Count})
			}
		}
	}
	if fr := res.Facets[fRecovered]; fr != nil && fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			if t.Term == "n" {
				out.Resolved = t.Count
				continue
			}
			pos, digit, ok := strings.Cut(t.Term, ":")
			p, err1 := strconv.Atoi(pos)
			d, err2 := strconv.Atoi(digit)
			if !ok || err1 != nil || err2 != nil || p > 18 {
				continue
			}
			out.RecoveredFen += int64(t.Count) * int64(d) * int64(math.Pow10(p))
		}
	}
	return out, nil
}

// Trend counts the cases q matches that were registered on each of the
// days from `from` (a day in Asia/Shanghai) through `days` days.
func (ix *Index) Trend(ctx context.Context, q Query, from time.Time, days int) (Trend, error) {
	from = from.In(weiquan.Shanghai)
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, weiquan.Shanghai)
	out := Trend{Series: map[string]map[string][]int{}}
	index := map[string]int{}
	for i := 0; i < days; i++ {
		d := from.AddDate(0, 0, i).Format(dayLayout)
		out.Days = append(out.Days, d)
		index[d] = i
	}
	out.Series[TrendTotal] = map[string][]int{"": make([]int, days)}
	if days <= 0 {
		return out, nil
	}
	end := from.AddDate(0, 0, days)
	if q.CreatedFrom.IsZero() || q.CreatedFrom.Before(from) {
		q.CreatedFrom = from
	}
	if q.CreatedTo.IsZero() || q.CreatedTo.After(end) {
		q.CreatedTo = end
	}
	c, err := ix.compile(q)
	if err != nil || c.nothing {
		return out, err
	}
	req := bleve.NewSearchRequestOptions(c.q, 0, 0, false)
	req.Score = bleve.ScoreNone
	req.AddFacet(fTrend, bleve.NewFacetRequest(fTrend, 1_000_000))
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return out, unavailable(fmt.Errorf("trend: %w", err))
	}
	fr := res.Facets[fTrend]
	if fr == nil || fr.Terms == nil {
		return out, nil
	}
	for _, t := range fr.Terms.Terms() {
		parts := strings.SplitN(t.Term, "|", 3)
		dim, ok := trendPrefix[parts[0]]
		if !ok || len(parts) < 2 {
			continue
		}
		i, ok := index[parts[1]]
		if !ok {
			continue
		}
		value := ""
		if len(parts) == 3 {
			value = parts[2]
		}
		series := out.Series[dim]
		if series == nil {
			series = map[string][]int{}
			out.Series[dim] = series
		}
		if series[value] == nil {
			series[value] = make([]int, days)
		}
		series[value][i] += t.Count
	}
	return out, nil
}

// Count is the number of cases q matches, without reading any of them: no
// sort key or stored field is touched, which a one-item page would still do
// for every match.
func (ix *Index) Count(ctx context.Context, q Query) (uint64, error) {
	c, err := ix.compile(q)
	if err != nil || c.nothing {
		return 0, err
	}
	req := bleve.NewSearchRequestOptions(c.q, 0, 0, false)
	req.Score = bleve.ScoreNone
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return 0, unavailable(fmt.Errorf("count: %w", err))
	}
	return res.Total, nil
}
