package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Chinese analysis. The first requirement is recall: a query of one or more
// Chinese characters must find every case whose text contains it. Words are
// not delimited in Chinese and a word segmenter cuts the same characters
// differently in different contexts (热水器 is one word, so a search for 水
// or 热水 misses it; BENCHMARKS.md has the measurement), so the index
// holds characters instead:
//
//   - every Han (and kana/Hangul) character as a unigram, so a one-character
//     query is a single term lookup;
//   - every pair of adjacent characters as a bigram, so a longer query is a
//     phrase of its bigrams, whose posting lists are far shorter than those of
//     single characters;
//   - runs of letters and digits (型号 KFR-35GW, 13800138000, a USCC) as whole
//     lower-cased words, matched whole.
//
// Positions are those of the bigrams: a run of n ≥ 2 characters starting at
// position p puts the bigram c[i]c[i+1] and the unigram c[i] at p+i and the
// last character's unigram at p+n-2, and the next token at p+n-1. A query
// analysed into bigrams only (and a unigram for a lone character) then lines
// up with the indexed text position by position, also across a change of
// script, which is what makes 型号KFR-35GW and 内存4G phrase matches.
const (
	tokenizerName   = "weiquan_cjk_chars"
	indexFilterName = "weiquan_cjk_uni_bigram"
	queryFilterName = "weiquan_cjk_bigram_query"
	unigramOnlyName = "weiquan_cjk_unigram"

	// AnalyzerIndex analyses text fields when they are indexed.
	AnalyzerIndex = "weiquan_zh"
	// AnalyzerQuery analyses free-text queries against AnalyzerIndex fields.
	AnalyzerQuery = "weiquan_zh_query"
	// analyzerUnigram is the plain-unigram alternative, kept for the
	// measurement in compare_test.go.
	analyzerUnigram = "weiquan_zh_unigram"
	// analyzerEdges emits bigrams and only the first and last character of
	// each run: with a position-free unigram field beside it, the split
	// alternative measured in compare_test.go.
	analyzerEdges   = "weiquan_zh_edges"
	edgesFilterName = "weiquan_cjk_bigram_edges"
)

// isCJK reports whether r is written without spaces between words and is
// therefore indexed character by character.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// isWordRune reports whether r belongs to a run of letters and digits that
// is indexed as one word.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// fold maps the full-width forms that Chinese input methods produce
// (ＫＦＲ－３５ＧＷ, １３８…) to ASCII and lower-cases, so that a case typed
// one way is found when searched the other way.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	}
	return unicode.ToLower(r)
}

// Normalize applies the analyzer's character folding to a whole string: the
// form in which "the text contains the query" is judged.
func Normalize(s string) string {
	b := make([]rune, 0, len(s))
	for _, r := range s {
		b = append(b, fold(r))
	}
	return string(b)
}

// charTokenizer emits each CJK character as its own Ideographic token and
// each maximal run of other letters and digits as one AlphaNumeric token;
// everything else (spaces, punctuation, symbols) separates tokens. Offsets
// refer to the original bytes, so highlights mark what the person wrote.
type charTokenizer struct{}

func (charTokenizer) Tokenize(input []byte) analysis.TokenStream {
	// Terms are slices of one buffer and tokens come from one slab: a case
	// has hundreds of tokens, and one allocation each was a fifth of the
	// indexing time.
	buf := make([]byte, 0, len(input))
	slab := make([]analysis.Token, 0, utf8.RuneCount(input))
	rv := make(analysis.TokenStream, 0, cap(slab))
	emit := func(termStart, start, end int, typ analysis.TokenType) {
		slab = append(slab, analysis.Token{Term: buf[termStart:len(buf):len(buf)], Start: start, End: end, Position: len(rv) + 1, Type: typ})
		rv = append(rv, &slab[len(slab)-1])
	}
	wordStart, wordTerm := -1, 0
	flush := func(end int) {
		if wordStart >= 0 {
			emit(wordTerm, wordStart, end, analysis.AlphaNumeric)
			wordStart = -1
		}
	}
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		f := fold(r)
		switch {
		case isCJK(f):
			flush(i)
			t := len(buf)
			buf = utf8.AppendRune(buf, f)
			emit(t, i, i+size, analysis.Ideographic)
		case isWordRune(f):
			if wordStart < 0 {
				wordStart, wordTerm = i, len(buf)
			}
			buf = utf8.AppendRune(buf, f)
		default:
			flush(i)
		}
		i += size
	}
	flush(len(input))
	return rv
}

// ngramFilter turns runs of adjacent Ideographic tokens into bigrams, with
// unigrams too when indexing (see the package comment on positions).
type ngramFilter struct {
	unigrams bool // index side: emit every character as well
	bigrams  bool // false only for the plain-unigram alternative
	edges    bool // emit the first and last character of each run (see analyzerEdges)
}

func (f ngramFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	rv := make(analysis.TokenStream, 0, 2*len(input))
	// Bigram tokens and terms, like the tokenizer's, come from one slab and
	// one buffer (a bigram of two 3-byte characters is 6 bytes).
	slab := make([]analysis.Token, 0, len(input))
	buf := make([]byte, 0, 6*len(input))
	pos := 1
	for i := 0; i < len(input); {
		t := input[i]
		if t.Type != analysis.Ideographic {
			t.Position = pos
			rv = append(rv, t)
			pos++
			i++
			continue
		}
		// The run of characters that touch each other: punctuation or a
		// space between two characters ends it, so no bigram spans 空调，漏水.
		j := i + 1
		for j < len(input) && input[j].Type == analysis.Ideographic && input[j].Start == input[j-1].End {
			j++
		}
		run := input[i:j]
		switch {
		case len(run) == 1 || !f.bigrams:
			for k, c := range run {
				c.Position = pos + k
				c.Type = analysis.Single
				rv = append(rv, c)
			}
			pos += len(run)
		default:
			for k := 0; k < len(run)-1; k++ {
				a, b := run[k], run[k+1]
				if f.unigrams || (f.edges && k == 0) {
					a.Position = pos + k
					a.Type = analysis.Single
					rv = append(rv, a)
				}
				t := len(buf)
				buf = append(append(buf, a.Term...), b.Term...)
				slab = append(slab, analysis.Token{Term: buf[t:len(buf):len(buf)], Start: a.Start, End: b.End, Position: pos + k, Type: analysis.Double})
				rv = append(rv, &slab[len(slab)-1])
			}
			if f.unigrams || f.edges {
				last := run[len(run)-1]
				last.Position = pos + len(run) - 2
				last.Type = analysis.Single
				rv = append(rv, last)
			}
			pos += len(run) - 1
		}
		i = j
	}
	return rv
}

func init() {
	must := func(err error) {
		if err != nil {
			panic("search: registering analysis components: " + err.Error())
		}
	}
	must(registry.RegisterTokenizer(tokenizerName, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return charTokenizer{}, nil
	}))
	filters := map[string]ngramFilter{
		indexFilterName: {unigrams: true, bigrams: true},
		queryFilterName: {bigrams: true},
		unigramOnlyName: {unigrams: true},
		edgesFilterName: {bigrams: true, edges: true},
	}
	for name, f := range filters {
		must(registry.RegisterTokenFilter(name, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return f, nil
		}))
	}
	analyzers := map[string]ngramFilter{
		AnalyzerIndex:   filters[indexFilterName],
		AnalyzerQuery:   filters[queryFilterName],
		analyzerUnigram: filters[unigramOnlyName],
		analyzerEdges:   filters[edgesFilterName],
	}
	for name, f := range analyzers {
		must(registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return &analysis.DefaultAnalyzer{Tokenizer: charTokenizer{}, TokenFilters: []analysis.TokenFilter{f}}, nil
		}))
	}
}

// queryTokens analyses one whitespace-free part of a query into the phrase
// that must occur in a field: one slice of alternatives per position.
func queryTokens(part string) [][]string {
	tokens := ngramFilter{bigrams: true}.Filter(charTokenizer{}.Tokenize([]byte(part)))
	if len(tokens) == 0 {
		return nil
	}
	last := tokens[len(tokens)-1].Position
	phrase := make([][]string, last)
	for _, t := range tokens {
		phrase[t.Position-1] = append(phrase[t.Position-1], string(t.Term))
	}
	return phrase
}
