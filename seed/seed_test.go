package seed_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"weiquan"
	"weiquan/seed"
	"weiquan/workflow"
)

var now = time.Date(2026, 11, 1, 9, 30, 0, 0, weiquan.Shanghai)

func generate(t *testing.T, s int64, opts seed.Options, n int) []weiquan.Case {
	t.Helper()
	g := seed.New(s, opts)
	out := make([]weiquan.Case, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

func dump(c weiquan.Case) string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

func TestCasesPassValidation(t *testing.T) {
	failed := 0
	for i, c := range generate(t, 1, seed.Options{Now: now}, 2000) {
		before := dump(c)
		if err := workflow.Validate(&c); err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("case %d: Validate: %v\n%s", i, err, before)
			}
			continue
		}
		// Generated cases are already in normal form: what a benchmark
		// sends is what the store keeps.
		if got := dump(c); got != before {
			t.Errorf("case %d: Validate changed it:\n%s\nwant\n%s", i, got, before)
		}
	}
	if failed > 0 {
		t.Errorf("%d of 2000 cases failed validation", failed)
	}
}

func TestDeterministic(t *testing.T) {
	opts := seed.Options{Now: now}
	a := generate(t, 42, opts, 500)
	b := generate(t, 42, opts, 500)
	for i := range a {
		if got, want := dump(b[i]), dump(a[i]); got != want {
			t.Fatalf("case %d differs between two generators with seed 42:\n%s\nwant\n%s", i, got, want)
		}
	}
	other := generate(t, 43, opts, 500)
	same := 0
	for i := range a {
		if dump(other[i]) == dump(a[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 42 and 43 gave %d identical cases out of 500", same)
	}
}

func TestDistribution(t *testing.T) {
	cases := generate(t, 7, seed.Options{Now: now}, 5000)
	from, to := now.AddDate(-2, 0, 0), now

	kinds := map[weiquan.Kind]int{}
	channels := map[weiquan.Channel]int{}
	divisions := map[string]bool{}
	categories := map[string]bool{}
	anonymous, online := 0, 0
	for i, c := range cases {
		kinds[c.Kind]++
		channels[c.Channel]++
		categories[c.Subject.Category] = true
		if c.Respondent.DivisionCode != "" {
			divisions[c.Respondent.DivisionCode] = true
		}
		if c.Complainant.Anonymous {
			anonymous++
			if c.Kind != weiquan.KindReport {
				t.Errorf("case %d: anonymous %s", i, c.Kind)
			}
		}
		if c.Respondent.Platform != "" {
			online++
		}
		if c.CreatedAt.Before(from) || !c.CreatedAt.Before(to) {
			t.Errorf("case %d: created %v, want within [%v, %v)", i, c.CreatedAt, from, to)
		}
		if c.Subject.PurchaseDate != "" {
			p, err := time.ParseInLocation(time.DateOnly, c.Subject.PurchaseDate, weiquan.Shanghai)
			if err != nil {
				t.Fatalf("case %d: purchase date %q: %v", i, c.Subject.PurchaseDate, err)
			}
			if !p.Before(c.CreatedAt) || p.Format(time.DateOnly) == c.CreatedAt.In(weiquan.Shanghai).Format(time.DateOnly) {
				t.Errorf("case %d: purchased %s, not before created %v", i, c.Subject.PurchaseDate, c.CreatedAt)
			}
		}
	}

	for _, k := range []weiquan.Kind{weiquan.KindComplaint, weiquan.KindReport, weiquan.KindInquiry} {
		if kinds[k] == 0 {
			t.Errorf("no %s among 5000 cases", k)
		}
	}
	if got := float64(kinds[weiquan.KindComplaint]) / 5000; got < 0.70 || got > 0.80 {
		t.Errorf("complaints are %.2f of cases, want about 0.75", got)
	}
	if got := float64(kinds[weiquan.KindReport]) / 5000; got < 0.11 || got > 0.19 {
		t.Errorf("reports are %.2f of cases, want about 0.15", got)
	}
	for _, ch := range weiquan.Channels {
		if channels[ch] == 0 {
			t.Errorf("no case on channel %s", ch)
		}
	}
	for _, ch := range weiquan.Channels {
		if ch == weiquan.Channel12315 || ch == weiquan.ChannelWeb {
			continue
		}
		if channels[ch] >= channels[weiquan.Channel12315] || channels[ch] >= channels[weiquan.ChannelWeb] {
			t.Errorf("channel %s has %d cases, want fewer than 12315 (%d) and web (%d)",
				ch, channels[ch], channels[weiquan.Channel12315], channels[weiquan.ChannelWeb])
		}
	}
	if got := len(divisions); got < 80 {
		t.Errorf("%d distinct respondent divisions over 5000 cases, want at least 80", got)
	}
	if got := len(categories); got < 25 {
		t.Errorf("%d distinct categories, want at least 25", got)
	}
	if anonymous == 0 || anonymous >= kinds[weiquan.KindReport] {
		t.Errorf("%d anonymous cases among %d reports, want some but not all", anonymous, kinds[weiquan.KindReport])
	}
	if online < 200 {
		t.Errorf("%d online-platform cases, want at least 200", online)
	}
}

// Specialised hotlines carry only what they are for.
func TestChannelMatchesSubject(t *testing.T) {
	foodDrugs := []string{"food", "drugs", "medical_devices", "cosmetics"}
	for i, c := range generate(t, 3, seed.Options{Now: now}, 5000) {
		cat, prob := c.Subject.Category, c.Subject.Problem
		group, _ := weiquan.Lookup(weiquan.Vocabulary.Categories, cat)
		var ok bool
		switch c.Channel {
		case weiquan.Channel12331:
			ok = slices.Contains(foodDrugs, cat) || prob == "food_safety"
		case weiquan.Channel12358:
			ok = prob == "price"
		case weiquan.Channel12330:
			ok = prob == "counterfeit"
		case weiquan.Channel12365:
			ok = group.Group == "goods" && (prob == "quality" || prob == "safety")
		default:
			ok = true
		}
		if !ok {
			t.Errorf("case %d: channel %s for %s/%s", i, c.Channel, cat, prob)
		}

		wantType := map[bool]string{true: "hotline", false: "web"}[c.Channel.IsHotline()]
		if c.Channel == weiquan.ChannelAPI {
			wantType = "api"
		}
		if got := c.Source.Type; got != wantType {
			t.Errorf("case %d: source type %q on channel %s, want %q", i, got, c.Channel, wantType)
		}
		if got := c.Source.CallID != ""; got != c.Channel.IsHotline() {
			t.Errorf("case %d: call id %q on channel %s", i, c.Source.CallID, c.Channel)
		}
		if n := c.Source.CallerNumber; n != "" {
			if p, ok := weiquan.ParsePhone(n); !ok || string(p) != n {
				t.Errorf("case %d: caller number %q is not a normalised phone", i, n)
			}
		}
	}
}

func TestPeopleAndBusinesses(t *testing.T) {
	var cores []struct{ code, city, core string }
	for _, d := range weiquan.Divisions {
		if d.Level == weiquan.LevelProvince {
			continue
		}
		cores = append(cores, struct{ code, city, core string }{d.Code, weiquan.CityCode(d.Code), core(d.Name)})
	}
	platforms := []string{"淘宝", "京东", "拼多多", "抖音"}

	for i, c := range generate(t, 11, seed.Options{Now: now}, 3000) {
		if !c.Complainant.Anonymous && c.Complainant.Phone != "" {
			p, ok := weiquan.ParsePhone(c.Complainant.Phone)
			if !ok || string(p) != c.Complainant.Phone || !p.IsMobile() {
				t.Errorf("case %d: complainant phone %q is not a normalised mobile", i, c.Complainant.Phone)
			}
		}
		if c.Kind != weiquan.KindInquiry {
			if n := utf8.RuneCountInString(c.Complainant.Name); !c.Complainant.Anonymous && (n < 2 || n > 4) {
				t.Errorf("case %d: complainant name %q", i, c.Complainant.Name)
			}
		}

		r := c.Respondent
		if c.Kind == weiquan.KindInquiry {
			if r != (weiquan.Respondent{}) {
				t.Errorf("case %d: inquiry with a respondent %+v", i, r)
			}
			continue
		}
		d, ok := weiquan.DivisionByCode(r.DivisionCode)
		if !ok || d.Level != weiquan.LevelCounty || d.Code == weiquan.DivisionKinmen {
			t.Errorf("case %d: respondent division %q is not a Fujian county", i, r.DivisionCode)
			continue
		}
		if !weiquan.ValidUSCC(r.USCC) {
			t.Errorf("case %d: USCC %q is not valid", i, r.USCC)
		}
		if got := r.USCC[:2]; got != "91" && got != "92" {
			t.Errorf("case %d: USCC %q registered by %q, want 91 or 92", i, r.USCC, got)
		}
		if got := r.USCC[2:8]; got != r.DivisionCode && got != weiquan.CityCode(r.DivisionCode) {
			t.Errorf("case %d: USCC %q registered in %s, respondent in %s", i, r.USCC, got, r.DivisionCode)
		}
		if !strings.Contains(r.Address, core(d.Name)) {
			t.Errorf("case %d: address %q does not name %s", i, r.Address, d.Name)
		}
		if !strings.HasSuffix(r.Name, "有限公司") && !strings.HasSuffix(r.Name, "分公司") && r.USCC[:2] != "92" {
			t.Errorf("case %d: company %q has a sole-trader code %q", i, r.Name, r.USCC)
		}
		// The address and name name no other division, so that the
		// resolver, which is never to guess, can place the case.
		for _, x := range cores {
			if x.code == r.DivisionCode || x.code == weiquan.CityCode(r.DivisionCode) {
				continue
			}
			if strings.Contains(r.Address, x.core) || strings.Contains(r.Name, x.core) {
				t.Errorf("case %d: respondent in %s mentions %s: %q, %q", i, d.Name, x.core, r.Name, r.Address)
			}
		}
		if (r.Platform == "") != (r.Shop == "") {
			t.Errorf("case %d: platform %q with shop %q", i, r.Platform, r.Shop)
		}
		if r.Platform != "" && !slices.Contains(platforms, r.Platform) {
			t.Errorf("case %d: platform %q", i, r.Platform)
		}
	}
}

// core is a division's name without its 区/县/市 suffix, as addresses write it.
func core(name string) string {
	if r := []rune(name); len(r) > 2 {
		return string(r[:len(r)-1])
	}
	return name
}

func TestSubjectAndTexts(t *testing.T) {
	for i, c := range generate(t, 5, seed.Options{Now: now}, 3000) {
		s := c.Subject
		if _, ok := weiquan.Lookup(weiquan.Vocabulary.Categories, s.Category); !ok {
			t.Errorf("case %d: category %q", i, s.Category)
		}
		if _, ok := weiquan.Lookup(weiquan.Vocabulary.Problems, s.Problem); !ok {
			t.Errorf("case %d: problem %q", i, s.Problem)
		}
		if s.Product == "" || s.AmountFen <= 0 {
			t.Errorf("case %d: product %q amount %d", i, s.Product, s.AmountFen)
		}
		for _, text := range []string{c.Title, c.Description} {
			if text == "" || strings.ContainsAny(text, "{}") {
				t.Errorf("case %d: unfilled text %q", i, text)
			}
		}
		if n := utf8.RuneCountInString(c.Title); n > 60 {
			t.Errorf("case %d: title of %d characters: %q", i, n, c.Title)
		}

		switch c.Kind {
		case weiquan.KindComplaint:
			if n := len(c.Demands); n < 1 || n > 3 {
				t.Errorf("case %d: %d demands", i, n)
			}
			if !strings.Contains(c.Description+c.Title, s.Product) {
				t.Errorf("case %d: texts do not mention %s: %q", i, s.Product, c.Description)
			}
		case weiquan.KindInquiry:
			if !strings.ContainsAny(c.Description, "？?") {
				t.Errorf("case %d: inquiry asks no question: %q", i, c.Description)
			}
		}
		seen := map[string]bool{}
		for _, d := range c.Demands {
			if _, ok := weiquan.Lookup(weiquan.Vocabulary.Demands, d); !ok || seen[d] {
				t.Errorf("case %d: demands %v", i, c.Demands)
			}
			seen[d] = true
		}
	}
}

func TestDateRange(t *testing.T) {
	tests := []struct {
		name     string
		opts     seed.Options
		from, to time.Time
	}{
		{
			name: "two years before now by default",
			opts: seed.Options{Now: now},
			from: now.AddDate(-2, 0, 0), to: now,
		},
		{
			name: "explicit range",
			opts: seed.Options{Now: now, From: now.AddDate(0, -1, 0), To: now.AddDate(0, 0, -7)},
			from: now.AddDate(0, -1, 0), to: now.AddDate(0, 0, -7),
		},
		{
			name: "to without from",
			opts: seed.Options{To: now.AddDate(-1, 0, 0)},
			from: now.AddDate(-3, 0, 0), to: now.AddDate(-1, 0, 0),
		},
		{
			name: "one day",
			opts: seed.Options{From: now.Add(-24 * time.Hour), To: now},
			from: now.Add(-24 * time.Hour), to: now,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lo, hi time.Time
			for i, c := range generate(t, 9, tt.opts, 1000) {
				if c.CreatedAt.Before(tt.from) || !c.CreatedAt.Before(tt.to) {
					t.Fatalf("case %d: created %v, want within [%v, %v)", i, c.CreatedAt, tt.from, tt.to)
				}
				if lo.IsZero() || c.CreatedAt.Before(lo) {
					lo = c.CreatedAt
				}
				if c.CreatedAt.After(hi) {
					hi = c.CreatedAt
				}
			}
			// Spread over the range, not bunched at one end.
			span := tt.to.Sub(tt.from)
			if lo.Sub(tt.from) > span/10 || tt.to.Sub(hi) > span/10 {
				t.Errorf("created between %v and %v, want spread over [%v, %v)", lo, hi, tt.from, tt.to)
			}
		})
	}
}

func TestCorpusDescriptions(t *testing.T) {
	corpus := []string{
		"\uFEFF收到的货和图片完全不一样，质量太差了，客服态度也很恶劣，再也不会在这家买东西了。",
		"太差了",
		"酒店房间隔音很差，一晚上都能听到走廊里的声音，\r\n空调也不制冷，\u202e前台说没有办法换房。\x07",
	}
	cases := generate(t, 2, seed.Options{Now: now, Corpus: corpus}, 600)
	fromCorpus := 0
	for i, c := range cases {
		before := dump(c)
		if err := workflow.Validate(&c); err != nil {
			t.Errorf("case %d: Validate: %v\n%s", i, err, before)
		} else if got := dump(c); got != before {
			t.Errorf("case %d: Validate changed it:\n%s\nwant\n%s", i, got, before)
		}
		if strings.ContainsRune(c.Description, '\uFEFF') {
			t.Errorf("case %d: description keeps a byte-order mark", i)
		}
		used := false
		for _, text := range []string{"收到的货和图片完全不一样", "太差了", "空调也不制冷，前台说没有办法换房。"} {
			if strings.Contains(c.Description, text) {
				used = true
			}
		}
		if c.Kind == weiquan.KindInquiry {
			if used {
				t.Errorf("case %d: inquiry takes a corpus text as its question", i)
			}
			continue
		}
		if !used {
			t.Errorf("case %d: %s description %q is not from the corpus", i, c.Kind, c.Description)
		}
		fromCorpus++
		if strings.HasSuffix(c.Description, "太差了") && utf8.RuneCountInString(c.Description) < 20 {
			t.Errorf("case %d: short corpus text without context: %q", i, c.Description)
		}
	}
	if fromCorpus == 0 {
		t.Error("no description came from the corpus")
	}
}

func TestLoadCorpus(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		want    []string
		wantErr bool
	}{
		{
			name: "negative rows only, byte-order marks stripped, empty skipped",
			csv: "\uFEFFcat,label,review\n" +
				"手机,0,\uFEFF屏幕有坏点\n" +
				"手机,1,很好用\n" +
				"酒店,0,\n" +
				"酒店,0,\"房间脏，\n服务差\"\n" +
				"水果,0,  烂了一半  \n",
			want: []string{"屏幕有坏点", "房间脏，\n服务差", "烂了一半"},
		},
		{
			name: "no label column keeps every row",
			csv:  "review\n第一条\n\n第二条\n",
			want: []string{"第一条", "第二条"},
		},
		{
			name:    "no review column",
			csv:     "cat,label,text\n手机,0,坏了\n",
			wantErr: true,
		},
		{
			name:    "nothing usable",
			csv:     "label,review\n1,很好\n",
			wantErr: true,
		},
		{
			name:    "empty file",
			csv:     "",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "corpus.csv")
			if err := os.WriteFile(path, []byte(tt.csv), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := seed.LoadCorpus(path)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("LoadCorpus = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadCorpus: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LoadCorpus = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		if _, err := seed.LoadCorpus(filepath.Join(t.TempDir(), "absent.csv")); err == nil {
			t.Error("LoadCorpus of a missing file: no error")
		}
	})
}

// The shared review set is not part of the repository (its licence allows
// only local testing), so this runs only where it has been provided.
func TestLoadSharedCorpus(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "corpus", "online_shopping_10_cats", "online_shopping_10_cats.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared corpus not present: %v", err)
	}
	texts, err := seed.LoadCorpus(path)
	if err != nil {
		t.Fatalf("LoadCorpus: %v", err)
	}
	if got := len(texts); got <= 30000 {
		t.Errorf("%d negative reviews, want more than 30000", got)
	}
	for i, s := range texts {
		if s == "" || strings.ContainsRune(s, '\uFEFF') {
			t.Fatalf("text %d: %q", i, s)
		}
	}
	g := seed.New(1, seed.Options{Now: now, Corpus: texts})
	for i := range 500 {
		c := g.Next()
		before := dump(c)
		if err := workflow.Validate(&c); err != nil {
			t.Errorf("case %d with a corpus description: Validate: %v\n%s", i, err, before)
		} else if got := dump(c); got != before {
			t.Errorf("case %d: Validate changed it:\n%s\nwant\n%s", i, got, before)
		}
	}
}
