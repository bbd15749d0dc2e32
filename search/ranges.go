package search

import (
	"math"
	"strconv"

	"github.com/blevesearch/bleve/v2/search/query"
)

// Range fields: times and amounts that a query filters by range (created
// between two days, a deadline before now, an amount above a figure).
//
// bleve indexes a number as 16 terms, one per 4 bits of precision of its
// float64 bits, and for a time in seconds the lowest six or seven of them are
// unique to the case. Measured on 100,000 cases, those terms were a fifth of
// the index's size and a quarter of the CPU time of a bulk rebuild. A range
// field here holds a value as rangeLevels terms instead — the value itself
// and the value with its lowest 8, 16 and 24 bits dropped — and a range is
// matched with at most two term ranges per level (rangeQuery), which the
// dictionary answers with the terms that exist. Values are whole numbers
// from 0 to maxRangeValue; the filters are exact to the unit (a second, a
// fen), as before.

// rangeLevels is the number of precisions a value is indexed at; level i
// drops the lowest 8·i bits.
const rangeLevels = 4

const rangeStep = 8

// maxRangeValue bounds the values a range field holds, so that the
// arithmetic below cannot overflow.
const maxRangeValue = math.MaxInt64 >> 1

// rangeTerm is the term of x, a value with its lowest 8·level bits dropped:
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
// with its lowest 8·level bits dropped).
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
// end being open, and adds nothing to the score (see filter).
func rangeQuery(field string, lo, hi *int64) query.Query {
	from, to := int64(0), int64(maxRangeValue)
	if lo != nil {
		from = *lo
	}
	if hi != nil {
		to = *hi
	}
	var qs []query.Query
	yes := true
	for _, s := range rangeSpans(from, to) {
		a, b := rangeTerm(s.level, s.from), rangeTerm(s.level, s.to)
		if a == b {
			qs = append(qs, filter(field, a))
			continue
		}
		r := query.NewTermRangeInclusiveQuery(a, b, &yes, &yes)
		r.SetField(field)
		r.SetBoost(0)
		qs = append(qs, r)
	}
	switch len(qs) {
	case 0:
		return query.NewMatchNoneQuery()
	case 1:
		return qs[0]
	}
	d := query.NewDisjunctionQuery(qs)
	d.SetBoost(0)
	return d
}
