package search

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"weiquan"
)

// TestPushedFiltersAnswerTheSame: a one-term text query with filters is
// built with the filters pushed into each text field (pushFilters), for
// speed. It must match the same cases, with the same scores to the last
// bit (the order of a page and the cursor depend on them), and count the
// same facets as the plain conjunction of the text and the filters.
func TestPushedFiltersAnswerTheSame(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := Rebuild(context.Background(), dir, testOptions(), Source{Cases: realisticCases(t, 3000).seq})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	n, err := ix.DocCount()
	if err != nil {
		t.Fatal(err)
	}

	open := []string{"registered", "assigned"}
	unit := countyUnits[0]
	queries := []struct {
		name string
		q    Query
	}{
		{"one character, status and city", Query{Text: "好", Status: open, DivisionCity: []string{weiquan.CityCode(unit.DivisionCode)}}},
		{"one character, status", Query{Text: "的", Status: []string{"closed"}}},
		{"one character, unit and scope", Query{Text: "质", UnitIDs: []string{unit.ID}, Scope: []string{unit.ID, Unset}}},
		{"two characters, status and city", Query{Text: "质量", Status: open, DivisionCity: []string{weiquan.CityCode(unit.DivisionCode)}}},
		{"two characters, a created range", Query{Text: "退货", CreatedFrom: testNow.AddDate(0, -1, 0)}},
		{"a word, status", Query{Text: "iphone", Status: []string{"closed"}}},
		{"a full-width word, status", Query{Text: "ｉｐｈｏｎｅ", Status: []string{"closed"}}},
	}
	closed, err := ix.Search(context.Background(), Query{Status: []string{"closed"}, PageSize: 1})
	if err != nil || len(closed.Items) == 0 {
		t.Fatalf("no closed case: %v", err)
	}
	queries = append(queries,
		struct {
			name string
			q    Query
		}{"a case number, status", Query{Text: closed.Items[0].ID, Status: []string{"closed"}}},
		struct {
			name string
			q    Query
		}{"a case number that the filters exclude", Query{Text: closed.Items[0].ID, Status: open}})
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			pushed, err := ix.compile(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := pushed.q.(*query.DisjunctionQuery); !ok {
				t.Fatalf("compiled %T, want the filters pushed into the text alternatives", pushed.q)
			}
			// The plain form: the text on its own AND the filters.
			noText := tt.q
			noText.Text = ""
			filters, err := ix.compile(noText)
			if err != nil {
				t.Fatal(err)
			}
			conds := []query.Query{ix.textQuery(tt.q.Text, nil)}
			if c, ok := filters.q.(*query.ConjunctionQuery); ok {
				conds = append(conds, c.Conjuncts...)
			} else {
				conds = append(conds, filters.q)
			}
			plain := query.NewConjunctionQuery(conds)

			run := func(q query.Query) *bleve.SearchResult {
				req := bleve.NewSearchRequestOptions(q, int(n), 0, false)
				order, _, _ := sortOrder(SortRelevance, true)
				req.SortByCustom(order)
				for _, f := range facetFields {
					req.AddFacet(f.name, bleve.NewFacetRequest(f.field, f.size))
				}
				res, err := ix.idx.Search(req)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			type hit struct {
				id    string
				score float64
			}
			hits := func(dm bsearch.DocumentMatchCollection) []hit {
				out := make([]hit, 0, len(dm))
				for _, h := range dm {
					out = append(out, hit{h.ID, h.Score})
				}
				return out
			}
			// What the text alone scores, kept where the filters pass.
			pass := map[string]bool{}
			for _, h := range run(unscored{filters.q}).Hits {
				pass[h.ID] = true
			}
			var want []hit
			for _, h := range hits(run(ix.textQuery(tt.q.Text, nil)).Hits) {
				if pass[h.id] {
					want = append(want, h)
				}
			}
			if len(want) == 0 && tt.name != "a case number that the filters exclude" {
				t.Fatalf("no case matches %q: the comparison says nothing", tt.q.Text)
			}
			res := run(pushed.q)
			if res.Total != uint64(len(want)) {
				t.Fatalf("total %d, want %d", res.Total, len(want))
			}
			if got := hits(res.Hits); len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("hit %d: %v, want %v", i, got[i], want[i])
					}
				}
				t.Fatalf("%d hits, want %d", len(got), len(want))
			}

			// The next page continues where the first ended.
			q := tt.q
			q.PageSize = 5
			var paged []string
			for page := 0; page < 3; page++ {
				r, err := ix.Search(context.Background(), q)
				if err != nil {
					t.Fatalf("page %d: %v", page+1, err)
				}
				for _, it := range r.Items {
					paged = append(paged, it.ID)
				}
				if r.NextCursor == "" {
					break
				}
				q.Cursor = r.NextCursor
			}
			for i, id := range paged {
				if id != want[i].id {
					t.Fatalf("paged item %d is %s, want %s", i, id, want[i].id)
				}
			}

			// Facets count the matching cases, whatever their scores.
			want2 := run(plain)
			got2 := res
			for name, wf := range want2.Facets {
				if g, w := got2.Facets[name].Terms.Terms(), wf.Terms.Terms(); !reflect.DeepEqual(g, w) {
					t.Errorf("facet %s: %v, plain conjunction %v", name, g, w)
				}
			}
		})
	}
}
