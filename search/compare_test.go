package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/go-ego/gse"
)

// The analyzer comparison behind the choice in analysis.go. Each option
// indexes the same documents (the corpus reviews, with synthetic model, phone
// and USCC numbers in some) into one text field with positions, as the case
// index has them for phrases and highlights, and answers the labelled
// queries; every query is split at spaces and its parts must all match.
// Sizes are of the index merged into one segment; latencies are of a top-10
// search by relevance, each query five times.
//
//	go test -run '^$' -bench BenchmarkAnalyzerComparison -benchtime 1x -timeout 30m ./search/
//
// WEIQUAN_COMPARE_DOCS sets the number of documents (default: the 62,774
// reviews; more are made by joining two random reviews, about the length of a
// case's title and description); WEIQUAN_COMPARE_OPTIONS picks options by
// letter ("ADF").
type analyzerOption struct {
	name string
	// setup registers what the option needs in the mapping and returns the
	// analyzer of the text field.
	setup func(m *mapping.IndexMappingImpl) string
	// extra, if set, is a second field indexed from the same text.
	extra *mapping.FieldMapping
	// part builds the query for one space-free part of a query.
	part func(part string) query.Query
}

const cmpField = "text"

func phraseOrTerm(terms []string) query.Query {
	if len(terms) == 1 {
		t := query.NewTermQuery(terms[0])
		t.SetField(cmpField)
		return t
	}
	return query.NewPhraseQuery(terms, cmpField)
}

func analyzedTerms(analyzer, s string) []string {
	a, err := registry.NewCache().AnalyzerNamed(analyzer)
	if err != nil {
		panic(err)
	}
	var out []string
	for _, t := range a.Analyze([]byte(s)) {
		out = append(out, string(t.Term))
	}
	return out
}

var (
	gseOnce sync.Once
	gseSeg  gse.Segmenter
)

// gseTokenizer segments with go-ego/gse in search-engine mode (words, plus
// the dictionary words inside long ones), keeping words with a letter, digit
// or Chinese character, folded like the character analyzer.
type gseTokenizer struct{}

func gseWords(s string) []string {
	gseOnce.Do(func() {
		gseSeg.SkipLog = true
		if err := gseSeg.LoadDictEmbed(); err != nil {
			panic(err)
		}
	})
	var out []string
	for _, w := range gseSeg.CutSearch(Normalize(s), true) {
		if strings.IndexFunc(w, func(r rune) bool { return isCJK(r) || isWordRune(r) }) >= 0 {
			out = append(out, strings.TrimSpace(w))
		}
	}
	return out
}

func (gseTokenizer) Tokenize(input []byte) analysis.TokenStream {
	words := gseWords(string(input))
	rv := make(analysis.TokenStream, 0, len(words))
	for i, w := range words {
		rv = append(rv, &analysis.Token{Term: []byte(w), Position: i + 1, Type: analysis.AlphaNumeric})
	}
	return rv
}

var registerGSE = sync.OnceValue(func() error {
	return registry.RegisterTokenizer("test_gse", func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return gseTokenizer{}, nil
	})
})

var analyzerOptions = []analyzerOption{
	{
		name:  "A. weiquan_zh: unigrams+bigrams indexed, query = phrase of bigrams (chosen)",
		setup: func(*mapping.IndexMappingImpl) string { return AnalyzerIndex },
		part: func(p string) query.Query {
			phrase := queryTokens(p)
			terms := make([]string, len(phrase))
			for i, alts := range phrase {
				terms[i] = alts[0]
			}
			return phraseOrTerm(terms)
		},
	},
	{
		name:  "B. bleve cjk (bigrams only), query = all bigrams (AND)",
		setup: func(*mapping.IndexMappingImpl) string { return cjk.AnalyzerName },
		part: func(p string) query.Query {
			q := query.NewMatchQuery(p)
			q.SetField(cmpField)
			q.SetOperator(query.MatchQueryOperatorAnd)
			return q
		},
	},
	{
		name: "C. bleve cjk_bigram output_unigram=true, query = match_phrase, same analyzer",
		setup: func(m *mapping.IndexMappingImpl) string {
			must(m.AddCustomTokenFilter("cmp_bigram_uni", map[string]interface{}{"type": cjk.BigramName, "output_unigram": true}))
			must(m.AddCustomAnalyzer("cmp_cjk_uni", map[string]interface{}{
				"type": custom.Name, "tokenizer": unicode.Name,
				"token_filters": []interface{}{cjk.WidthName, lowercase.Name, "cmp_bigram_uni"},
			}))
			return "cmp_cjk_uni"
		},
		part: func(p string) query.Query {
			q := query.NewMatchPhraseQuery(p)
			q.SetField(cmpField)
			return q
		},
	},
	{
		name:  "D. plain unigrams, query = phrase of characters",
		setup: func(*mapping.IndexMappingImpl) string { return analyzerUnigram },
		part:  func(p string) query.Query { return phraseOrTerm(analyzedTerms(analyzerUnigram, p)) },
	},
	{
		name:  "F. split: unigrams without positions + bigrams and run-edge characters with positions",
		setup: func(*mapping.IndexMappingImpl) string { return analyzerEdges },
		extra: func() *mapping.FieldMapping {
			f := mapping.NewTextFieldMapping()
			f.Name = cmpField + "_uni"
			f.Analyzer = analyzerUnigram
			f.IncludeTermVectors = false
			f.DocValues = false
			f.IncludeInAll = false
			return f
		}(),
		part: func(p string) query.Query {
			phrase := queryTokens(p)
			terms := make([]string, len(phrase))
			for i, alts := range phrase {
				terms[i] = alts[0]
			}
			if len(terms) == 1 && utf8.RuneCountInString(terms[0]) == 1 && isCJK([]rune(terms[0])[0]) {
				t := query.NewTermQuery(terms[0])
				t.SetField(cmpField + "_uni")
				return t
			}
			return phraseOrTerm(terms)
		},
	},
	{
		name: "E. gse word segmenter (search mode), query = all words (AND)",
		setup: func(m *mapping.IndexMappingImpl) string {
			must(registerGSE())
			must(m.AddCustomAnalyzer("cmp_gse", map[string]interface{}{"type": custom.Name, "tokenizer": "test_gse"}))
			return "cmp_gse"
		},
		part: func(p string) query.Query {
			words := gseWords(p)
			if len(words) == 0 {
				return query.NewMatchNoneQuery()
			}
			qs := make([]query.Query, 0, len(words))
			for _, w := range words {
				t := query.NewTermQuery(w)
				t.SetField(cmpField)
				qs = append(qs, t)
			}
			return query.NewConjunctionQuery(qs)
		},
	},
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func fullQuery(o analyzerOption, text string) query.Query {
	var parts []query.Query
	for _, p := range strings.Fields(text) {
		parts = append(parts, o.part(p))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return query.NewConjunctionQuery(parts)
}

// classScore accumulates recall and precision for one class of queries.
type classScore struct {
	queries, fullRecall   int
	relevant, found       int
	precisionSum          float64
	precisionN            int
	plainRelevant, plainF int // recall against plain strings.Contains
}

type optionResult struct {
	name         string
	classes      map[string]*classScore
	bytesPerDoc  float64
	docsPerSec   float64
	p50, p99     time.Duration
	missExamples []string
}

func (r optionResult) total() classScore {
	var t classScore
	for _, c := range r.classes {
		t.queries += c.queries
		t.fullRecall += c.fullRecall
		t.relevant += c.relevant
		t.found += c.found
		t.precisionSum += c.precisionSum
		t.precisionN += c.precisionN
		t.plainRelevant += c.plainRelevant
		t.plainF += c.plainF
	}
	return t
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
}

func evaluateOption(tb testing.TB, o analyzerOption, docs, norm []string, queries []labelledQuery) optionResult {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "cmp")
	m := mapping.NewIndexMapping()
	analyzer := o.setup(m)
	f := mapping.NewTextFieldMapping()
	f.Analyzer = analyzer
	f.IncludeTermVectors = true
	f.Store = false
	f.DocValues = false
	f.IncludeInAll = false
	dm := mapping.NewDocumentStaticMapping()
	if o.extra != nil {
		dm.AddFieldMappingsAt(cmpField, f, o.extra)
	} else {
		dm.AddFieldMappingsAt(cmpField, f)
	}
	m.DefaultMapping = dm
	idx, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	batch := idx.NewBatch()
	for i, d := range docs {
		if err := batch.Index(strconv.Itoa(i), map[string]any{cmpField: d}); err != nil {
			tb.Fatal(err)
		}
		if batch.Size() >= 1000 || i == len(docs)-1 {
			if err := idx.Batch(batch); err != nil {
				tb.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := persist(idx, []byte("done"), time.Minute); err != nil {
		tb.Fatal(err)
	}
	elapsed := time.Since(start)
	// Sizes compare fairly only when merged: how many segments a run of
	// batches leaves depends on timing.
	adv, err := idx.Advanced()
	if err != nil {
		tb.Fatal(err)
	}
	if err := adv.(*scorch.Scorch).ForceMerge(context.Background(), nil); err != nil {
		tb.Fatal(err)
	}
	if err := persist(idx, []byte("merged"), time.Minute); err != nil {
		tb.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		tb.Fatal(err)
	}
	size, err := diskSize(dir)
	if err != nil {
		tb.Fatal(err)
	}
	idx, err = bleve.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = idx.Close() }()

	res := optionResult{
		name:        o.name,
		classes:     map[string]*classScore{},
		bytesPerDoc: float64(size) / float64(len(docs)),
		docsPerSec:  float64(len(docs)) / elapsed.Seconds(),
	}
	var lat []time.Duration
	ctx := context.Background()
	for _, lq := range queries {
		cs := res.classes[lq.class]
		if cs == nil {
			cs = &classScore{}
			res.classes[lq.class] = cs
		}
		nq := Normalize(lq.text)
		want := map[string]bool{}
		plain := map[string]bool{}
		for i, d := range norm {
			if relevant(d, nq) {
				want[strconv.Itoa(i)] = true
			}
			if strings.Contains(d, nq) {
				plain[strconv.Itoa(i)] = true
			}
		}
		q := fullQuery(o, lq.text)
		all := bleve.NewSearchRequestOptions(q, len(docs), 0, false)
		all.Score = bleve.ScoreNone
		got, err := idx.SearchInContext(ctx, all)
		if err != nil {
			tb.Fatalf("%s: %q: %v", o.name, lq.text, err)
		}
		found := map[string]bool{}
		for _, h := range got.Hits {
			found[h.ID] = true
		}
		hit, plainHit := 0, 0
		for id := range want {
			if found[id] {
				hit++
			}
		}
		for id := range plain {
			if found[id] {
				plainHit++
			}
		}
		cs.queries++
		cs.relevant += len(want)
		cs.found += hit
		cs.plainRelevant += len(plain)
		cs.plainF += plainHit
		if hit == len(want) {
			cs.fullRecall++
		} else if len(res.missExamples) < 6 {
			res.missExamples = append(res.missExamples, fmt.Sprintf("%q %d/%d", lq.text, hit, len(want)))
		}

		top := bleve.NewSearchRequestOptions(q, 10, 0, false)
		for range 5 {
			t0 := time.Now()
			got, err = idx.SearchInContext(ctx, top)
			lat = append(lat, time.Since(t0))
			if err != nil {
				tb.Fatal(err)
			}
		}
		if len(got.Hits) > 0 {
			rel := 0
			for _, h := range got.Hits {
				i, _ := strconv.Atoi(h.ID)
				if relevant(norm[i], nq) {
					rel++
				}
			}
			cs.precisionSum += float64(rel) / float64(len(got.Hits))
			cs.precisionN++
		}
	}
	slices.Sort(lat)
	res.p50 = lat[len(lat)/2]
	res.p99 = lat[len(lat)*99/100]
	return res
}

func BenchmarkAnalyzerComparison(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("WEIQUAN_COMPARE_DOCS"))
	reviews := loadCorpus(b, 0)
	switch {
	case n > len(reviews):
		reviews = synthesize(reviews, n)
	case n > 0:
		reviews = reviews[:n]
	}
	docs, models, phones, usccs := augment(reviews, 1)
	norm := make([]string, len(docs))
	for i, d := range docs {
		norm[i] = Normalize(d)
	}
	queries := labelledQueries(docs, models, phones, usccs, 40, 2)
	b.ResetTimer()
	for range b.N {
		var results []optionResult
		for _, o := range analyzerOptions {
			if only := os.Getenv("WEIQUAN_COMPARE_OPTIONS"); only != "" && !strings.Contains(only, o.name[:1]) {
				continue
			}
			results = append(results, evaluateOption(b, o, docs, norm, queries))
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "\n%d documents, %d queries\n\n", len(docs), len(queries))
		sb.WriteString("| option | recall | queries with 100% recall | precision@10 | index bytes/doc | indexing docs/s | query p50 / p99 (top 10) |\n|---|---|---|---|---|---|---|\n")
		for _, r := range results {
			t := r.total()
			fmt.Fprintf(&sb, "| %s | %s | %d/%d | %s | %.0f | %.0f | %s / %s |\n", r.name, pct(t.found, t.relevant), t.fullRecall, t.queries,
				pct(int(1000*t.precisionSum), 1000*t.precisionN), r.bytesPerDoc, r.docsPerSec, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond))
		}
		sb.WriteString("\nRecall by query class (found/relevant; queries with 100% recall):\n\n| option |")
		for _, c := range queryClasses {
			sb.WriteString(" " + c + " |")
		}
		sb.WriteString("\n|---|" + strings.Repeat("---|", len(queryClasses)) + "\n")
		for _, r := range results {
			sb.WriteString("| " + strings.SplitN(r.name, ":", 2)[0] + " |")
			for _, c := range queryClasses {
				cs := r.classes[c]
				if cs == nil {
					sb.WriteString(" – |")
					continue
				}
				fmt.Fprintf(&sb, " %s (%d/%d) |", pct(cs.found, cs.relevant), cs.fullRecall, cs.queries)
			}
			sb.WriteString("\n")
		}
		sb.WriteString("\nRecall against plain substring containment (no word-edge rule for letters/digits):\n\n")
		for _, r := range results {
			t := r.total()
			fmt.Fprintf(&sb, "- %s: %s; misses e.g. %s\n", strings.SplitN(r.name, ":", 2)[0], pct(t.plainF, t.plainRelevant), strings.Join(r.missExamples, ", "))
		}
		// b.Log would cut the table short; the report goes to stdout.
		fmt.Print(sb.String())
	}
}

// synthesize makes n documents of two random reviews each, for measuring at
// the scale of a province's case load.
func synthesize(reviews []string, n int) []string {
	r := rand.New(rand.NewPCG(3, 5))
	out := make([]string, n)
	for i := range out {
		out[i] = reviews[r.IntN(len(reviews))] + "。" + reviews[r.IntN(len(reviews))]
	}
	return out
}
