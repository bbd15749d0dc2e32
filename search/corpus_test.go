package search

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"weiquan"
)

// The corpus is real consumer text: online-shopping reviews, half of them
// complaints. Its licence allows only local testing, so it is read from
// ../shared at test time and nothing of it is copied into the repository.
// WEIQUAN_CORPUS overrides the path.
func corpusPath() string {
	if p := os.Getenv("WEIQUAN_CORPUS"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "corpus", "online_shopping_10_cats", "online_shopping_10_cats.csv")
}

// loadCorpus reads max reviews (all when max <= 0) spread evenly over the
// file, which is sorted by product category. CI has the corpus, so there a
// missing file fails the test; elsewhere it skips.
func loadCorpus(tb testing.TB, max int) []string {
	tb.Helper()
	f, err := os.Open(corpusPath())
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") == "" {
		tb.Skipf("corpus not found at %s (set WEIQUAN_CORPUS)", corpusPath())
	}
	if err != nil {
		tb.Fatalf("opening corpus: %v", err)
	}
	defer func() { _ = f.Close() }()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	if _, err := r.Read(); err != nil { // header: cat,label,review
		tb.Fatalf("reading corpus header: %v", err)
	}
	var all []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("reading corpus: %v", err)
		}
		all = append(all, rec[2])
	}
	if max <= 0 || max >= len(all) {
		return all
	}
	out := make([]string, max)
	for i := range out {
		out[i] = all[i*len(all)/max]
	}
	return out
}

// Synthetic identifiers, generated here (the corpus has none): model numbers,
// mobile numbers and USCCs appended to some reviews so that mixed-script
// queries have something to find.
func fakeModel(r *rand.Rand) string {
	prefixes := []string{"KFR", "BCD", "JSQ", "XQG", "EC", "TCL", "RS"}
	return fmt.Sprintf("%s-%d%s/Bp%c%d", prefixes[r.IntN(len(prefixes))], 20+r.IntN(80), []string{"GW", "WDPF", "HC", "L"}[r.IntN(4)], 'A'+rune(r.IntN(26)), r.IntN(10))
}

func fakeMobile(r *rand.Rand) string {
	return fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000))
}

func fakeUSCC(r *rand.Rand) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte("91350")
	for len(b) < 17 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	c, _ := weiquan.USCCCheckChar(string(b))
	return string(append(b, c))
}

// augment returns the reviews with synthetic identifiers appended to one in
// seven, and the identifiers it used.
func augment(reviews []string, seed uint64) (docs []string, models, phones, usccs []string) {
	r := rand.New(rand.NewPCG(seed, 7))
	docs = make([]string, len(reviews))
	for i, s := range reviews {
		switch i % 21 {
		case 3:
			m := fakeModel(r)
			models = append(models, m)
			s += " 型号 " + m
		case 10:
			p := fakeMobile(r)
			phones = append(phones, p)
			s += "，联系电话" + p
		case 17:
			u := fakeUSCC(r)
			usccs = append(usccs, u)
			s += "。商家统一社会信用代码：" + u
		}
		docs[i] = s
	}
	return docs, models, phones, usccs
}

// labelledQuery is one query of the labelled set, with its class.
type labelledQuery struct {
	class string
	text  string
}

// Query classes.
const (
	class1     = "1 char"
	class2     = "2 chars"
	class3     = "3 chars"
	class4     = "4-6 chars"
	classWord  = "product words"
	classMixed = "mixed scripts"
	classPhone = "phone numbers"
	classUSCC  = "USCCs"
)

var queryClasses = []string{class1, class2, class3, class4, classWord, classMixed, classPhone, classUSCC}

var productWords = []string{
	"手机", "热水器", "洗发水", "牛奶", "酒店", "平板", "电脑", "屏幕", "电池", "充电器",
	"物流", "快递", "客服", "售后", "退货", "发票", "质量", "假货", "包装", "价格",
	"服务员", "前台", "房间", "衣服", "尺码", "蒙牛", "水果", "键盘", "系统", "保质期",
}

var mixedRe = regexp.MustCompile(`\p{Han}{1,3}[A-Za-z0-9]+|[A-Za-z0-9]+\p{Han}{1,3}`)

// mixedStrings finds Chinese characters joined to a whole word of letters or
// digits of 2 to 8 characters (装了XP系统, 内存2G).
func mixedStrings(doc string) []string {
	var out []string
	for _, loc := range mixedRe.FindAllStringIndex(doc, -1) {
		m := doc[loc[0]:loc[1]]
		word := strings.TrimFunc(m, isCJK)
		if len(word) < 2 || len(word) > 8 {
			continue
		}
		if before, _ := utf8.DecodeLastRuneInString(doc[:loc[0]]); loc[0] > 0 && wordEdge(before) {
			continue
		}
		if after, _ := utf8.DecodeRuneInString(doc[loc[1]:]); loc[1] < len(doc) && wordEdge(after) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// labelledQueries builds the query set from the documents themselves:
// random character sequences of each length (so each has at least one
// relevant document), product words, mixed-script strings found in the text,
// the synthetic identifiers, and full-width and upper/lower-case variants.
func labelledQueries(docs, models, phones, usccs []string, perClass int, seed uint64) []labelledQuery {
	r := rand.New(rand.NewPCG(seed, 11))
	var out []labelledQuery
	seen := map[string]bool{}
	add := func(class, text string) {
		if text == "" || seen[class+"\x00"+text] {
			return
		}
		seen[class+"\x00"+text] = true
		out = append(out, labelledQuery{class, text})
	}
	hanRun := func(n int) string {
		for range 1000 {
			d := []rune(docs[r.IntN(len(docs))])
			if len(d) < n {
				continue
			}
			i := r.IntN(len(d) - n + 1)
			ok := true
			for _, c := range d[i : i+n] {
				if !isCJK(c) {
					ok = false
					break
				}
			}
			if ok {
				return string(d[i : i+n])
			}
		}
		return ""
	}
	for _, c := range []struct {
		class  string
		lo, hi int
	}{{class1, 1, 1}, {class2, 2, 2}, {class3, 3, 3}, {class4, 4, 6}} {
		for range perClass {
			add(c.class, hanRun(c.lo+r.IntN(c.hi-c.lo+1)))
		}
	}
	for _, w := range productWords {
		add(classWord, w)
	}
	var mixed []string
	for _, d := range docs {
		mixed = append(mixed, mixedStrings(d)...)
	}
	for i := 0; i < perClass && len(mixed) > 0; i++ {
		add(classMixed, mixed[r.IntN(len(mixed))])
	}
	for i, m := range models {
		if i >= perClass/2 {
			break
		}
		add(classMixed, "型号 "+m)
		add(classMixed, strings.SplitN(m, "/", 2)[0])
	}
	add(classMixed, "ＸＰ系统") // full-width, as a Chinese input method types it
	add(classMixed, "xp系统")
	for i, p := range phones {
		if i >= perClass {
			break
		}
		add(classPhone, p)
	}
	if len(phones) > 0 {
		add(classPhone, toFullWidth(phones[0]))
	}
	for i, u := range usccs {
		if i >= perClass {
			break
		}
		add(classUSCC, u)
	}
	if len(usccs) > 0 {
		add(classUSCC, strings.ToLower(usccs[0]))
	}
	// A query that no document contains measures nothing: product words
	// missing from a small sample are dropped.
	norm := make([]string, len(docs))
	for i, d := range docs {
		norm[i] = Normalize(d)
	}
	return slices.DeleteFunc(out, func(q labelledQuery) bool {
		nq := Normalize(q.text)
		return !slices.ContainsFunc(norm, func(d string) bool { return relevant(d, nq) })
	})
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// relevant is the ground truth: the normalised text contains the normalised
// query. Where the query begins or ends with a letter or digit, the text must
// not continue the word there (KFR-35 is not a match inside AKFR-35GW): letters
// and digits are matched as whole words, as people type model and phone
// numbers. Chinese characters have no such rule: any substring counts.
func relevant(normText, normQuery string) bool {
	if normQuery == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(normQuery)
	last, _ := utf8.DecodeLastRuneInString(normQuery)
	for off := 0; ; {
		i := strings.Index(normText[off:], normQuery)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(normQuery)
		before, _ := utf8.DecodeLastRuneInString(normText[:i])
		after, _ := utf8.DecodeRuneInString(normText[end:])
		okStart := !(wordEdge(first) && i > 0 && wordEdge(before))
		okEnd := !(wordEdge(last) && end < len(normText) && wordEdge(after))
		if okStart && okEnd {
			return true
		}
		_, size := utf8.DecodeRuneInString(normText[i:])
		off = i + size
	}
}

func wordEdge(r rune) bool { return !isCJK(r) && isWordRune(r) }

// TestRelevant pins the ground truth itself, since every recall figure
// depends on it.
func TestRelevant(t *testing.T) {
	tests := []struct {
		name, text, query string
		want              bool
	}{
		{"chinese substring", "空调漏水", "调漏", true},
		{"not contained", "空调漏水", "漏电", false},
		{"across punctuation is not a substring", "空调，漏水", "调漏", false},
		{"model whole word", "型号 kfr-35gw/bp", "kfr-35gw", true},
		{"model inside a longer word", "型号 akfr-35gw", "kfr-35gw", false},
		{"model prefix of a longer word", "kfr-35gwx", "kfr-35gw", false},
		{"second occurrence counts", "akfr kfr", "kfr", true},
		{"digits after chinese", "联系电话13800138000", "13800138000", true},
		{"mixed query", "装了xp系统", "xp系统", true},
		{"mixed query inside word", "装了winxp系统", "xp系统", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := relevant(tt.text, tt.query); got != tt.want {
				t.Errorf("relevant(%q, %q) = %v, want %v", tt.text, tt.query, got, tt.want)
			}
		})
	}
}

// TestCorpusRecall is the recall requirement on real text, through the same
// query the Search API runs: for every labelled query, every case whose text
// contains it is found. Precision@10 of the first page is reported.
func TestCorpusRecall(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 800
	}
	reviews := loadCorpus(t, n)
	docs, models, phones, usccs := augment(reviews, 1)
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, weiquan.Shanghai)
	cases := make([]*weiquan.Case, len(docs))
	fields := make([][]string, len(docs)) // normalised searchable texts of each case
	for i, d := range docs {
		r := []rune(d)
		c := &weiquan.Case{
			ID:          fmt.Sprintf("20261101%06d", i+1),
			Version:     1,
			Kind:        weiquan.KindComplaint,
			Status:      weiquan.StatusRegistered,
			Title:       string(r[:min(len(r), 12)]),
			Description: d,
			CreatedAt:   at.Add(time.Duration(i) * time.Minute),
		}
		for _, m := range models {
			if strings.Contains(d, m) {
				c.Subject.Model = m
			}
		}
		cases[i] = c
		fields[i] = []string{Normalize(c.Title), Normalize(c.Description), Normalize(c.Subject.Model)}
	}
	ix, _ := newTestIndex(t, cases)
	queries := labelledQueries(docs, models, phones, usccs, 25, 2)
	byID := map[string]int{}
	for i, c := range cases {
		byID[c.ID] = i
	}
	isRelevant := func(i int, nq string) bool {
		for _, f := range fields[i] {
			if relevant(f, nq) {
				return true
			}
		}
		return false
	}
	ctx := context.Background()
	perClass := map[string][2]float64{} // precision sum, count
	for _, lq := range queries {
		nq := Normalize(lq.text)
		got, err := ix.matchingIDs(ctx, Query{Text: lq.text})
		if err != nil {
			t.Fatalf("%q: %v", lq.text, err)
		}
		found := map[string]bool{}
		for _, id := range got {
			found[id] = true
		}
		want, missed := 0, 0
		for i, c := range cases {
			if isRelevant(i, nq) {
				want++
				if !found[c.ID] {
					missed++
				}
			}
		}
		if want == 0 {
			t.Errorf("%s %q: no case contains it; the query set is wrong", lq.class, lq.text)
		}
		if missed > 0 {
			t.Errorf("%s %q: missed %d of %d cases that contain it", lq.class, lq.text, missed, want)
		}
		res, err := ix.Search(ctx, Query{Text: lq.text, PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		rel := 0
		for _, it := range res.Items {
			if isRelevant(byID[it.ID], nq) {
				rel++
			}
		}
		if len(res.Items) > 0 {
			p := perClass[lq.class]
			perClass[lq.class] = [2]float64{p[0] + float64(rel)/float64(len(res.Items)), p[1] + 1}
		}
	}
	for _, c := range queryClasses {
		if p := perClass[c]; p[1] > 0 {
			t.Logf("precision@10 %-14s %5.1f%% over %.0f queries", c, 100*p[0]/p[1], p[1])
		}
	}
}
