package search

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"weiquan"
)

// Sort orders.
const (
	SortRelevance = "relevance" // best match first; newest first without text
	SortCreated   = "created"   // newest first
	SortDeadline  = "deadline"  // next deadline first; cases without one last
)

// Page sizes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Query is one search: free text, filters, order and page. Every list of the
// workflow is a Query: an officer's queue is {UnitIDs: their units, Status:
// open statuses, Sort: deadline}; the overdue list is {Overdue: true}; the
// cases of a caller are {Phone: number}.
type Query struct {
	// Text is what a person typed. Words separated by spaces must all occur
	// (each in any text field); a word matches where its characters occur
	// together, Chinese characters anywhere, letters and digits as whole
	// words. The whole text also matches a case number, a USCC or a phone
	// number exactly.
	Text string
	// Phone finds the cases of a complainant or caller number, exactly.
	Phone string

	// Filters: a case matches a list if it has one of the values; an empty
	// list does not filter. Unset stands for "no value".
	Status     []string
	Kind       []string
	Channel    []string
	Track      []string
	Outcome    []string
	Category   []string
	Problem    []string
	Department []string
	// DivisionCounty and DivisionCity are the respondent's county-level and
	// city division codes.
	DivisionCounty []string
	DivisionCity   []string
	// UnitIDs filters by the unit holding the case now (a unit's queue):
	// when not nil, only cases held by these units match, and an empty
	// non-nil list matches nothing.
	UnitIDs []string
	// Flags keeps cases carrying one of these flags ("cluster", …).
	Flags []string
	// Scope is the access scope (workflow.Units.Scope): when not nil, only
	// cases that one of these units holds now or has held (the case's unit
	// trail) match, and an empty non-nil list matches nothing. Unset in it
	// stands for cases no unit has held. Handlers set it from the signed-in
	// person for every search, lists, counts and facets alike.
	Scope []string

	// RespondentUSCC and RespondentName match the respondent exactly (the
	// name after dropping spaces, punctuation and letter case), for duplicate
	// detection.
	RespondentUSCC string
	RespondentName string

	// CreatedFrom (inclusive) and CreatedTo (exclusive) bound the creation
	// time; zero means unbounded.
	CreatedFrom, CreatedTo time.Time
	// AmountMin and AmountMax bound the amount in fen, inclusive.
	AmountMin, AmountMax *int64
	// Overdue keeps cases whose next deadline has passed at Now.
	Overdue bool
	// DueBefore keeps cases whose next deadline is before it (the sweeper's
	// "near a deadline"); zero means no bound.
	DueBefore time.Time
	// Now is the time Overdue is judged at; zero means the index's clock.
	Now time.Time

	// Sort is SortRelevance (default), SortCreated or SortDeadline.
	Sort string
	// PageSize is the number of items per page, DefaultPageSize when zero,
	// at most MaxPageSize.
	PageSize int
	// Cursor is the NextCursor of the previous page, "" for the first.
	Cursor string
	// Facets asks for counts by status, channel, category, unit and city.
	Facets bool
}

// Result is one page of a search.
type Result struct {
	Total      uint64                  `json:"total"`
	Items      []Summary               `json:"items"`
	Facets     map[string][]FacetCount `json:"facets,omitempty"`
	NextCursor string                  `json:"next_cursor"`
}

// FacetCount is the number of matching cases with one value of a facet.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet names in Result.Facets.
const (
	FacetStatus   = "status"
	FacetChannel  = "channel"
	FacetCategory = "category"
	FacetUnit     = "unit"
	FacetCity     = "city"
)

// Summary is a case as a list shows it. The phone number is only ever its
// last four digits: the index has nothing more.
type Summary struct {
	ID             string     `json:"id"`
	Version        int64      `json:"version"`
	Kind           string     `json:"kind"`
	Channel        string     `json:"channel"`
	Status         string     `json:"status"`
	Outcome        string     `json:"outcome,omitempty"`
	Track          string     `json:"track,omitempty"`
	Title          string     `json:"title"`
	RespondentName string     `json:"respondent_name"`
	Category       string     `json:"category"`
	UnitID         string     `json:"unit_id"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	NextDeadline   *time.Time `json:"next_deadline,omitempty"`
	PhoneMasked    string     `json:"phone_masked,omitempty"`
	// Highlights holds, per text field that matched, a fragment of it with
	// the matched characters in <mark>…</mark>; the rest is HTML-escaped.
	Highlights map[string][]string `json:"highlights,omitempty"`
}

var facetFields = []struct {
	name, field string
	size        int
}{
	{FacetStatus, fStatus, 10},
	{FacetChannel, fChannel, 10},
	{FacetCategory, fCategory, 50},
	{FacetUnit, fUnit, 200},
	{FacetCity, fCity, 20},
}

func invalid(msg string, err error) error {
	return weiquan.WrapError(weiquan.EInvalid, msg, err)
}

// compiled is a Query turned into what bleve runs.
type compiled struct {
	q       query.Query
	text    bool // free text present: relevance and highlights mean something
	nothing bool // the query can match nothing (empty access scope)
}

func (ix *Index) compile(q Query) (compiled, error) {
	if (q.UnitIDs != nil && len(q.UnitIDs) == 0) || (q.Scope != nil && len(q.Scope) == 0) {
		return compiled{nothing: true}, nil
	}
	var must []query.Query
	c := compiled{}
	if q.Phone != "" {
		if digits(q.Phone) == "" {
			return c, weiquan.WrapError(weiquan.EInvalid, "电话号码格式不正确", fmt.Errorf("phone %q has no digits", q.Phone))
		}
		must = append(must, filter(fPhoneHash, ix.phoneKey.hash(q.Phone)))
	}
	for _, f := range []struct {
		field  string
		values []string
	}{
		{fStatus, q.Status}, {fKind, q.Kind}, {fChannel, q.Channel}, {fTrack, q.Track},
		{fOutcome, q.Outcome}, {fCategory, q.Category}, {fProblem, q.Problem},
		{fDepartment, q.Department}, {fCounty, q.DivisionCounty}, {fCity, q.DivisionCity},
		{fUnit, q.UnitIDs}, {fTrail, q.Scope}, {fFlags, q.Flags},
	} {
		if len(f.values) > 0 {
			must = append(must, filter(f.field, f.values...))
		}
	}
	if q.RespondentUSCC != "" {
		must = append(must, filter(fUSCC, weiquan.NormalizeUSCC(q.RespondentUSCC)))
	}
	if q.RespondentName != "" {
		k := respondentKey(q.RespondentName)
		if k == "" {
			return c, weiquan.WrapError(weiquan.EInvalid, "被投诉人名称无效", fmt.Errorf("respondent name %q has no letters", q.RespondentName))
		}
		must = append(must, filter(fRespondentKey, k))
	}
	if !q.CreatedFrom.IsZero() || !q.CreatedTo.IsZero() {
		lo, hi := secondsRange(q.CreatedFrom, q.CreatedTo)
		must = append(must, rangeQuery(fCreatedRange, lo, hi))
	}
	if q.AmountMin != nil || q.AmountMax != nil {
		must = append(must, rangeQuery(fAmount, q.AmountMin, q.AmountMax))
	}
	due := q.DueBefore
	if q.Overdue {
		now := q.Now
		if now.IsZero() {
			now = ix.now()
		}
		if due.IsZero() || now.Before(due) {
			due = now
		}
	}
	if !due.IsZero() {
		_, hi := secondsRange(time.Time{}, due)
		must = append(must, rangeQuery(fDeadlineRange, nil, hi))
	}
	// The free text goes in last, given the filters: see textQuery.
	if tq := ix.textQuery(q.Text, must); tq != nil {
		if pushed, ok := tq.(filteredText); ok {
			must = []query.Query{pushed.Query}
		} else {
			must = append(must, tq)
		}
		c.text = true
	}
	switch len(must) {
	case 0:
		c.q = query.NewMatchAllQuery()
	case 1:
		c.q = must[0]
	default:
		c.q = query.NewConjunctionQuery(must)
	}
	return c, nil
}

// filter matches any of the values exactly and adds nothing to the score:
// a filter narrows the list, it does not say which case matches the words
// best (a boost of 1 would rank cases of a rare status higher).
func filter(field string, values ...string) query.Query {
	qs := make([]query.Query, 0, len(values))
	for _, v := range values {
		t := query.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(0)
		qs = append(qs, t)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	d := query.NewDisjunctionQuery(qs)
	d.SetBoost(0)
	return d
}

// filteredText is a text query that already holds the query's filters.
type filteredText struct{ query.Query }

// textQuery turns what a person typed into a query, nil when it holds
// nothing searchable. Each space-separated part must occur in some text
// field; the parts in their order, as one phrase, rank higher. The whole
// input also matches a case number, a USCC or a phone number exactly.
//
// filters are the query's other conditions. When the text is one term (one
// or two Chinese characters, or one word) and there are filters, the
// filters are pushed into each alternative and the result is a
// filteredText that replaces them: see pushFilters.
func (ix *Index) textQuery(text string, filters []query.Query) query.Query {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	phrases := textPhrases(text)
	if len(phrases) == 0 {
		return nil // only punctuation or symbols: nothing to search for
	}
	// push narrows one alternative by the filters, when they are pushed.
	push := func(q query.Query) query.Query { return q }
	pushed := len(filters) > 0 && len(phrases) == 1 && len(phrases[0]) == 1
	if pushed {
		push = func(q query.Query) query.Query { return pushFilters(q, filters) }
	}
	var parts []query.Query
	for _, terms := range phrases {
		parts = append(parts, inTextFields(terms, 1, push))
	}
	var alts []query.Query
	if len(parts) == 1 {
		alts = append(alts, parts[0])
	} else {
		// The parts written together (空调 漏水 as 空调漏水) rank higher.
		together := textPhrases(strings.Join(strings.Fields(text), ""))
		b := query.NewBooleanQuery([]query.Query{query.NewConjunctionQuery(parts)}, []query.Query{inTextFields(together[0], 2, push)}, nil)
		alts = append(alts, b)
	}
	exact := func(field, v string, boost float64) {
		t := query.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(boost)
		alts = append(alts, push(t))
	}
	id := query.NewDocIDQuery([]string{text})
	id.SetBoost(10)
	alts = append(alts, push(id))
	if u := weiquan.NormalizeUSCC(text); len(u) == 18 {
		exact(fUSCC, u, 10)
	}
	if _, ok := weiquan.ParsePhone(text); ok {
		exact(fPhoneHash, ix.phoneKey.hash(text), 10)
	}
	var out query.Query = query.NewDisjunctionQuery(alts)
	if len(alts) == 1 {
		out = alts[0]
	}
	if pushed {
		return filteredText{out}
	}
	return out
}

// pushFilters is q narrowed by the filters, scored as q alone.
//
// A one-term query (好, 空调) matches a large part of the cases in some
// text field. As one conjunction (any text field) AND filters, bleve walks
// the text fields' postings, scored, to every case that passes the filters
// (measured at a million cases: 60% of the time of a one-character query
// with a status and a city). Narrowed field by field instead, the cases that
// match are first found without scores, by intersecting postings as
// bitmaps (q's term with the filters), and only those are then scored by q.
// The score is the same: the filters weigh nothing and score 0.
func pushFilters(q query.Query, filters []query.Query) query.Query {
	t, ok := q.(*query.TermQuery)
	if !ok {
		// A case number matches one case at most: the filters are checked
		// on that one.
		return query.NewConjunctionQuery([]query.Query{q, unscored{query.NewConjunctionQuery(filters)}})
	}
	// The term itself in the unscored part makes it the exact set of the
	// cases to score; without it, q would be walked to every case that
	// passes the filters again.
	u := query.NewTermQuery(t.Term)
	u.SetField(t.Field())
	narrow := query.NewConjunctionQuery(append([]query.Query{u}, filters...))
	return query.NewConjunctionQuery([]query.Query{q, unscored{narrow}})
}

// unscored is a condition that narrows without scoring. Its searcher is
// built without scores, which lets bleve intersect and unite the postings
// of its terms as bitmaps, and weighs nothing in the query norm, so that
// the scores of what it is combined with do not change.
type unscored struct{ q query.Query }

func (u unscored) Searcher(ctx context.Context, i index.IndexReader, m mapping.IndexMapping, _ bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := u.q.Searcher(ctx, i, m, bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	return unweighted{s}, nil
}

// unweighted leaves a searcher out of the query norm; its matches score 0
// (it was built without scores).
type unweighted struct{ bsearch.Searcher }

func (unweighted) Weight() float64      { return 0 }
func (unweighted) SetQueryNorm(float64) {}

// textPhrases splits what a person typed at spaces into the phrases that
// must occur: the terms of each part, in order.
func textPhrases(text string) [][]string {
	var out [][]string
	for _, p := range strings.Fields(text) {
		phrase := queryTokens(p)
		if len(phrase) == 0 {
			continue
		}
		terms := make([]string, len(phrase))
		for i, alts := range phrase {
			terms[i] = alts[0]
		}
		out = append(out, terms)
	}
	return out
}

// inTextFields matches a phrase in any of the text fields, weighted by
// field: as a phrase (terms at consecutive positions) where the field keeps
// positions, as all of its terms where it does not.
func inTextFields(terms []string, boost float64, push func(query.Query) query.Query) query.Query {
	qs := make([]query.Query, 0, len(textFields))
	for _, f := range textFields {
		var q query.Query
		switch {
		case len(terms) == 1:
			t := query.NewTermQuery(terms[0])
			t.SetField(f.name)
			t.SetBoost(f.boost * boost)
			q = t
		case f.phrase:
			p := query.NewPhraseQuery(terms, f.name)
			p.SetBoost(f.boost * boost)
			q = p
		default:
			all := make([]query.Query, 0, len(terms))
			for _, term := range terms {
				t := query.NewTermQuery(term)
				t.SetField(f.name)
				all = append(all, t)
			}
			c := query.NewConjunctionQuery(all)
			c.SetBoost(f.boost * boost)
			q = c
		}
		qs = append(qs, push(q))
	}
	return query.NewDisjunctionQuery(qs)
}

// sortOrder is the order of a sort mode. The keys end in the case number,
// so no two cases tie.
func sortOrder(mode string, text bool) (bsearch.SortOrder, string, error) {
	created := &bsearch.SortField{Field: fCreatedKey, Desc: true, Type: bsearch.SortFieldAsString}
	switch mode {
	case "", SortRelevance:
		if !text {
			return bsearch.SortOrder{created}, SortCreated, nil
		}
		return bsearch.SortOrder{&bsearch.SortScore{Desc: true}, created}, SortRelevance, nil
	case SortCreated:
		return bsearch.SortOrder{created}, SortCreated, nil
	case SortDeadline:
		return bsearch.SortOrder{&bsearch.SortField{Field: fDeadlineKey, Type: bsearch.SortFieldAsString}}, SortDeadline, nil
	}
	return nil, "", invalid("排序方式无效", fmt.Errorf("unknown sort %q", mode))
}

// Search runs a query and returns one page of it.
func (ix *Index) Search(ctx context.Context, q Query) (Result, error) {
	c, err := ix.compile(q)
	if err != nil {
		return Result{}, err
	}
	if c.nothing {
		return Result{Items: []Summary{}}, nil
	}
	order, mode, err := sortOrder(q.Sort, c.text)
	if err != nil {
		return Result{}, err
	}
	size := q.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)

	// One more than a page tells whether there is a next one.
	req := bleve.NewSearchRequestOptions(c.q, size+1, 0, false)
	req.SortByCustom(order)
	req.Fields = storedFields
	if c.text {
		req.Fields = append(slices.Clip(storedFields), highlightFields...)
	}
	if mode != SortRelevance {
		req.Score = bleve.ScoreNone
	}
	if q.Cursor != "" {
		after, err := decodeCursor(q.Cursor, mode, len(order))
		if err != nil {
			return Result{}, err
		}
		req.SearchAfter = after
	}
	if q.Facets {
		for _, f := range facetFields {
			req.AddFacet(f.name, bleve.NewFacetRequest(f.field, f.size))
		}
	}
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return Result{}, unavailable(fmt.Errorf("search: %w", err))
	}
	out := Result{Total: res.Total, Items: make([]Summary, 0, min(len(res.Hits), size))}
	hits := res.Hits
	if len(hits) > size {
		hits = hits[:size]
		out.NextCursor = encodeCursor(mode, order, hits[len(hits)-1])
	}
	phrases := textPhrases(q.Text)
	for _, h := range hits {
		s := summary(h)
		if c.text {
			s.Highlights = highlights(h, phrases)
		}
		out.Items = append(out.Items, s)
	}
	if q.Facets {
		out.Facets = make(map[string][]FacetCount, len(facetFields))
		for _, f := range facetFields {
			counts := []FacetCount{}
			if fr := res.Facets[f.name]; fr != nil && fr.Terms != nil {
				for _, t := range fr.Terms.Terms() {
					counts = append(counts, FacetCount{Value: t.Term, Count: t.Count})
				}
			}
			out.Facets[f.name] = counts
		}
	}
	return out, nil
}

// matchingIDs returns every case the query matches, unordered: the complete
// answer that recall is measured on.
func (ix *Index) matchingIDs(ctx context.Context, q Query) ([]string, error) {
	c, err := ix.compile(q)
	if err != nil || c.nothing {
		return nil, err
	}
	n, err := ix.idx.DocCount()
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(c.q, int(n)+1, 0, false)
	req.Score = bleve.ScoreNone
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids, nil
}

func summary(h *bsearch.DocumentMatch) Summary {
	str := func(f string) string {
		s, _ := h.Fields[f].(string)
		if s == Unset {
			return ""
		}
		return s
	}
	tm := func(f string) *time.Time {
		v, ok := h.Fields[f].(float64)
		if !ok {
			return nil
		}
		t := fromUnixSeconds(v)
		return &t
	}
	s := Summary{
		ID:             h.ID,
		Kind:           str(fKind),
		Channel:        str(fChannel),
		Status:         str(fStatus),
		Outcome:        str(fOutcome),
		Track:          str(fTrack),
		Title:          str(fTitle),
		RespondentName: str(fRespondent),
		Category:       str(fCategory),
		UnitID:         str(fUnit),
		NextDeadline:   tm(fNextDeadline),
		PhoneMasked:    MaskedPhone(str(fPhoneLast4)),
	}
	if v, ok := h.Fields[fVersion].(float64); ok {
		s.Version = int64(v)
	}
	if t := tm(fCreated); t != nil {
		s.CreatedAt = *t
	}
	if t := tm(fUpdated); t != nil {
		s.UpdatedAt = *t
	}
	return s
}

// The cursor is the sort key of the last item of a page, which bleve's
// SearchAfter continues from: deep pages cost what the first page costs.
// Format: version byte, sort-mode byte, then each sort value as a uvarint
// length and its bytes; base64url. Sort values of dates are bleve's binary
// encoding, hence not JSON.
const cursorVersion = 1

var sortModes = []string{SortRelevance, SortCreated, SortDeadline}

func encodeCursor(mode string, order bsearch.SortOrder, last *bsearch.DocumentMatch) string {
	b := []byte{cursorVersion, 0}
	for i, m := range sortModes {
		if m == mode {
			b[1] = byte(i)
		}
	}
	for i, s := range order {
		v := ""
		switch {
		case s.RequiresScoring():
			v = strconv.FormatFloat(last.Score, 'g', -1, 64)
		case i < len(last.Sort):
			v = last.Sort[i]
		}
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("malformed cursor")

func decodeCursor(cursor, mode string, n int) ([]string, error) {
	bad := func(err error) error {
		return invalid("翻页参数无效，请从第一页重新查询", fmt.Errorf("cursor %q: %w", cursor, err))
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad(err)
	}
	if len(b) < 2 || b[0] != cursorVersion || int(b[1]) >= len(sortModes) {
		return nil, bad(errBadCursor)
	}
	if sortModes[b[1]] != mode {
		return nil, bad(fmt.Errorf("cursor is for sort %q, query sorts by %q", sortModes[b[1]], mode))
	}
	b = b[2:]
	out := make([]string, 0, n)
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, bad(errBadCursor)
		}
		out = append(out, string(b[k:k+int(l)]))
		b = b[k+int(l):]
	}
	if len(out) != n {
		return nil, bad(errBadCursor)
	}
	if mode == SortRelevance {
		if f, err := strconv.ParseFloat(out[0], 64); err != nil || math.IsNaN(f) {
			return nil, bad(errBadCursor)
		}
	}
	return out, nil
}
