package search

import (
	"html"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// fragmentRunes is the length of a highlight fragment: about two lines of
// Chinese in a list.
const fragmentRunes = 80

// Highlights are computed here from the stored text rather than by bleve's
// highlighter, which needs positions in every field (the short fields keep
// none, see textFields) and marks only the first of two overlapping bigrams,
// leaving 空调漏 half marked. The text is analysed as at indexing, and a
// phrase matches where its terms stand at consecutive positions: exactly
// what the index matched, with the original characters marked.

// highlights marks the phrases in each text field of a hit.
func highlights(h *bsearch.DocumentMatch, phrases [][]string) map[string][]string {
	var out map[string][]string
	for _, f := range textFields {
		text, _ := h.Fields[f.name].(string)
		if text == "" {
			continue
		}
		if frag := fragment(text, matchSpans(text, phrases)); frag != "" {
			if out == nil {
				out = map[string][]string{}
			}
			out[f.name] = []string{frag}
		}
	}
	return out
}

type span struct{ start, end int } // byte offsets in the original text

// matchSpans finds where the phrases occur in text, merged where they
// overlap or touch.
func matchSpans(text string, phrases [][]string) []span {
	tokens := ngramFilter{unigrams: true, bigrams: true}.Filter(charTokenizer{}.Tokenize([]byte(text)))
	// Tokens by position are only needed to follow a phrase of several
	// terms; a one-term query (the commonest, and the one with the most
	// hits) is matched token by token.
	var byPos map[int][]*analysis.Token
	if slices.ContainsFunc(phrases, func(p []string) bool { return len(p) > 1 }) {
		byPos = make(map[int][]*analysis.Token, len(tokens))
		for _, t := range tokens {
			byPos[t.Position] = append(byPos[t.Position], t)
		}
	}
	at := func(pos int, term string) *analysis.Token {
		for _, t := range byPos[pos] {
			if string(t.Term) == term {
				return t
			}
		}
		return nil
	}
	var spans []span
	for _, phrase := range phrases {
		for _, first := range tokens {
			if string(first.Term) != phrase[0] {
				continue
			}
			last := first
			for i := 1; i < len(phrase) && last != nil; i++ {
				last = at(first.Position+i, phrase[i])
			}
			if last != nil {
				spans = append(spans, span{first.Start, last.End})
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	merged := spans[:0]
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// fragment is the part of text around the first match, at most
// fragmentRunes characters, HTML-escaped, with matches in <mark>; "" when
// nothing matched.
func fragment(text string, spans []span) string {
	if len(spans) == 0 {
		return ""
	}
	// The whole text if it is short; else a window that starts a little
	// before the first match and is filled up from before it at the end.
	from, to := 0, len(text)
	if n := utf8.RuneCountInString(text); n > fragmentRunes {
		first := utf8.RuneCountInString(text[:spans[0].start])
		start := min(max(first-fragmentRunes/4, 0), n-fragmentRunes)
		from = runeOffset(text, start)
		to = from + runeOffset(text[from:], fragmentRunes)
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	curr := from
	for _, s := range spans {
		if s.start >= to {
			break
		}
		end := min(s.end, to)
		b.WriteString(html.EscapeString(text[curr:s.start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.start:end]))
		b.WriteString("</mark>")
		curr = end
	}
	b.WriteString(html.EscapeString(text[curr:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// runeOffset is the byte offset of the n-th character of s.
func runeOffset(s string, n int) int {
	off := 0
	for ; n > 0 && off < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}
