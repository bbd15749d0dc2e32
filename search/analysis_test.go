package search

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/registry"
)

func analyze(t *testing.T, analyzer, text string) string {
	t.Helper()
	a, err := registry.NewCache().AnalyzerNamed(analyzer)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, tok := range a.Analyze([]byte(text)) {
		parts = append(parts, fmt.Sprintf("%s@%d", tok.Term, tok.Position))
	}
	return strings.Join(parts, " ")
}

func TestAnalyzers(t *testing.T) {
	tests := []struct {
		name, text, index, query string
	}{
		{"a run: bigrams and unigrams share positions, the last unigram joins the last bigram", "空调漏水",
			"空@1 空调@1 调@2 调漏@2 漏@3 漏水@3 水@3", "空调@1 调漏@2 漏水@3"},
		{"a lone character", "好", "好@1", "好@1"},
		{"punctuation ends a run: no bigram across it", "空调，漏水",
			"空@1 空调@1 调@1 漏@2 漏水@2 水@2", "空调@1 漏水@2"},
		{"letters and digits are whole lower-cased words", "型号 KFR-35GW/BpR3",
			"型@1 型号@1 号@1 kfr@2 35gw@3 bpr3@4", "型号@1 kfr@2 35gw@3 bpr3@4"},
		{"change of script without a space", "内存4G的",
			"内@1 内存@1 存@1 4g@2 的@3", "内存@1 4g@2 的@3"},
		{"full-width forms fold to ASCII", "ＫＦＲ－３５ＧＷ １３８００１３８０００",
			"kfr@1 35gw@2 13800138000@3", "kfr@1 35gw@2 13800138000@3"},
		{"byte order mark and symbols separate", "\ufeff好！★评", "好@1 评@2", "好@1 评@2"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := analyze(t, AnalyzerIndex, tt.text); got != tt.index {
				t.Errorf("index analysis of %q\n got %s\nwant %s", tt.text, got, tt.index)
			}
			if got := analyze(t, AnalyzerQuery, tt.text); got != tt.query {
				t.Errorf("query analysis of %q\n got %s\nwant %s", tt.text, got, tt.query)
			}
		})
	}
}

func TestMatchSpans(t *testing.T) {
	tests := []struct {
		name, text, query, want string
	}{
		{"overlapping bigrams are one mark", "空调漏水了", "空调漏", "[空调漏]水了"},
		{"every occurrence", "漏水，又漏水", "漏水", "[漏水]，又[漏水]"},
		{"not across punctuation", "空调，漏水", "调漏", ""},
		{"a single character", "水杯和水壶", "水", "[水]杯和[水]壶"},
		{"full-width text, ASCII query: the original characters are marked", "型号ＫＦＲ－３５ＧＷ", "kfr-35gw", "型号[ＫＦＲ－３５ＧＷ]"},
		{"two parts", "格力空调，型号 KFR-35GW", "空调 KFR-35GW", "格力[空调]，型号 [KFR-35GW]"},
		{"mixed script edge", "内存4G的平板", "4G的", "内存[4G的]平板"},
		{"a word is matched whole", "KFR-35GWX", "35GW", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			curr := 0
			for _, s := range matchSpans(tt.text, textPhrases(tt.query)) {
				b.WriteString(tt.text[curr:s.start] + "[" + tt.text[s.start:s.end] + "]")
				curr = s.end
			}
			got := b.String()
			if got != "" {
				got += tt.text[curr:]
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFragmentOfALongText(t *testing.T) {
	text := strings.Repeat("这是一段很长的描述，", 20) + "<b>空调漏水</b>" + strings.Repeat("后面还有很多文字，", 20)
	got := fragment(text, matchSpans(text, textPhrases("漏水")))
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("fragment %q should be cut at both ends", got)
	}
	if !strings.Contains(got, "&lt;b&gt;空调<mark>漏水</mark>&lt;/b&gt;") {
		t.Errorf("fragment %q lacks the escaped, marked match", got)
	}
	plain := strings.NewReplacer("<mark>", "", "</mark>", "", "&lt;", "<", "&gt;", ">", "…", "").Replace(got)
	if n := utf8.RuneCountInString(plain); n != fragmentRunes {
		t.Errorf("fragment has %d characters, want %d", n, fragmentRunes)
	}
	if got := fragment(text, nil); got != "" {
		t.Errorf("fragment without a match = %q, want empty", got)
	}
}
