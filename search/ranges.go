package search

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// Range fields: times and amounts that a query filters by range (created
// between two days, a deadline before now, an amount above a figure).
//
// bleve indexes a number as 16 terms, one per 4 bits of precision of its
// float64 bits, and for a time in seconds the lowest six or seven of them are
// unique to the case. Measured on 100,000 cases, those terms were a fifth of
// the index's size and a quarter of the CPU time of a bulk rebuild. A range
// field here holds a value as rangeLevels terms instead — the value itself
// and the value with its lowest 6, 12, 18 and 24 bits dropped — and a range
// is matched by the terms of at most two spans per level (rangeSpans) that
// the dictionary holds. Values are whole numbers from 0 to maxRangeValue;
// the filters are exact to the unit (a second, a fen), as before.
//
// The step is a trade: 8 bits (four levels) indexed as fast but made a
// range over the creation time gather two to three times the terms, and a
// duplicate search took 5.7 ms where bleve's numbers took 4.0; 4 bits
// (eight levels) searched in 3.8 ms but indexed 8% slower. 6 bits: 4.0 ms,
// and indexing as fast as 8 (BENCHMARKS.md).

// rangeLevels is the number of precisions a value is indexed at; level i
// drops the lowest rangeStep·i bits.
const rangeLevels = 5

const rangeStep = 6

// maxRangeValue bounds the values a range field holds, so that the
// arithmetic below cannot overflow.
const maxRangeValue = math.MaxInt64 >> 1

// rangeTerm is the term of x, a value with its lowest rangeStep·level bits dropped:
// the level's letter, then the number of hex digits, then the digits, so
// that within a level the terms sort as the numbers do.
func rangeTerm(level int, x int64) string {
	h := strconv.FormatInt(x, 16)
	return string(rune('a'+level)) + string(rune('a'+len(h))) + h
}

// rangeTerms are the terms of the values vs in a range field.
func rangeTerms(vs ...int64) []string {
	out := make([]string, 0, rangeLevels*len(vs))
	for _, v := range vs {
		v = min(max(v, 0), maxRangeValue)
		for level := range rangeLevels {
			out = append(out, rangeTerm(level, v>>(rangeStep*level)))
		}
	}
	return out
}

// levelSpan is the inclusive span [from, to] of level's values (the value
// with its lowest rangeStep·level bits dropped).
type levelSpan struct {
	level    int
	from, to int64
}

// rangeSpans splits [lo, hi] into spans, coarsest where whole blocks of a
// coarser level lie inside it: [lo, the end of lo's block at the next level]
// and [the start of hi's block, hi] at each level, and what lies between at
// the next one.
func rangeSpans(lo, hi int64) []levelSpan {
	lo, hi = max(lo, 0), min(hi, maxRangeValue)
	if lo > hi {
		return nil
	}
	var out []levelSpan
	for level := 0; ; level++ {
		shift := rangeStep * level
		a, b := lo>>shift, hi>>shift // this level's values
		if level == rangeLevels-1 || a>>rangeStep == b>>rangeStep {
			return append(out, levelSpan{level, a, b})
		}
		const block = 1<<rangeStep - 1
		if a&block != 0 { // a partial block at the low end
			out = append(out, levelSpan{level, a, a | block})
			a = a | block + 1
		}
		if b&block != block { // a partial block at the high end
			out = append(out, levelSpan{level, b &^ block, b})
			b = b&^block - 1
		}
		if a > b {
			return out
		}
		lo, hi = a<<shift, (b<<shift)|(1<<shift-1)
	}
}

// rangeQuery matches the cases with a value in [lo, hi] in field, a nil
// end being open, and adds nothing to the score.
func rangeQuery(field string, lo, hi *int64) query.Query {
	r := rangeFilter{field: field, lo: 0, hi: maxRangeValue}
	if lo != nil {
		r.lo = *lo
	}
	if hi != nil {
		r.hi = *hi
	}
	return r
}

// rangeFilter is a range as one condition over every term of its spans
// that the dictionary holds, searched unscored: bleve then unites their
// postings into one bitmap, which a conjunction steps through like a single
// term's. (Term range queries for the spans, joined by a disjunction, cost
// three times as much on a dense field such as the creation time.)
type rangeFilter struct {
	field  string
	lo, hi int64
}

func (r rangeFilter) Searcher(ctx context.Context, i index.IndexReader, _ mapping.IndexMapping, options bsearch.SearcherOptions) (bsearch.Searcher, error) {
	var terms []string
	for _, s := range rangeSpans(r.lo, r.hi) {
		dict, err := i.FieldDictRange(r.field, []byte(rangeTerm(s.level, s.from)), []byte(rangeTerm(s.level, s.to)))
		if err != nil {
			return nil, fmt.Errorf("search: range of %s: %w", r.field, err)
		}
		for {
			e, err := dict.Next()
			if err != nil {
				_ = dict.Close()
				return nil, fmt.Errorf("search: range of %s: %w", r.field, err)
			}
			if e == nil {
				break
			}
			terms = append(terms, e.Term)
		}
		if err := dict.Close(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 0 {
		return searcher.NewMatchNoneSearcher(i)
	}
	unscoredSearch := options.Score == "none"
	s, err := searcher.NewMultiTermSearcher(ctx, i, terms, r.field, 1, bsearch.SearcherOptions{Score: "none"}, false)
	if err != nil || unscoredSearch {
		// In an unscored search the range stays a plain term searcher, which
		// a conjunction can intersect as a bitmap too.
		return s, err
	}
	return unweighted{s}, nil
}
