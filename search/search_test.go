package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"weiquan"
)

// oracle says whether a case matches the filters of q, computed directly on
// the case: the index must agree with it on every query.
func oracle(c *weiquan.Case, q Query) bool {
	in := func(v string, set []string) bool {
		if len(set) == 0 {
			return true
		}
		return slices.Contains(set, orUnset(v))
	}
	if q.UnitIDs != nil && !slices.Contains(q.UnitIDs, orUnset(c.UnitID)) {
		return false
	}
	if q.Scope != nil && !slices.ContainsFunc(trailTerms(c), func(u string) bool { return slices.Contains(q.Scope, u) }) {
		return false
	}
	if !in(string(c.Status), q.Status) || !in(string(c.Kind), q.Kind) || !in(string(c.Channel), q.Channel) ||
		!in(string(c.Track), q.Track) || !in(string(c.Outcome), q.Outcome) || !in(c.Subject.Category, q.Category) ||
		!in(c.Subject.Problem, q.Problem) || !in(c.Department, q.Department) ||
		!in(c.Respondent.DivisionCode, q.DivisionCounty) || !in(weiquan.CityCode(c.Respondent.DivisionCode), q.DivisionCity) {
		return false
	}
	if !q.CreatedFrom.IsZero() && c.CreatedAt.Before(q.CreatedFrom) {
		return false
	}
	if !q.CreatedTo.IsZero() && !c.CreatedAt.Before(q.CreatedTo) {
		return false
	}
	if q.AmountMin != nil && c.Subject.AmountFen < *q.AmountMin {
		return false
	}
	if q.AmountMax != nil && c.Subject.AmountFen > *q.AmountMax {
		return false
	}
	due := q.DueBefore
	if q.Overdue {
		now := q.Now
		if now.IsZero() {
			now = testNow
		}
		if due.IsZero() || now.Before(due) {
			due = now
		}
	}
	if !due.IsZero() {
		d := NextDeadline(c)
		if d == nil || !d.Before(due) {
			return false
		}
	}
	if q.RespondentUSCC != "" && weiquan.NormalizeUSCC(c.Respondent.USCC) != weiquan.NormalizeUSCC(q.RespondentUSCC) {
		return false
	}
	if q.RespondentName != "" && respondentKey(c.Respondent.Name) != respondentKey(q.RespondentName) {
		return false
	}
	return true
}

func i64(v int64) *int64 { return &v }

func TestFiltersAgreeWithTheCases(t *testing.T) {
	cases := sampleCases(400, 20)
	ix, _ := newTestIndex(t, cases)
	tests := []struct {
		name string
		q    Query
	}{
		{"everything", Query{}},
		{"one status", Query{Status: []string{"registered"}}},
		{"open statuses", Query{Status: []string{"registered", "assigned", "accepted", "mediating", "verifying"}}},
		{"officer queue", Query{UnitIDs: []string{"amr-350203", "amr-350102"}, Status: []string{"accepted", "mediating"}, Sort: SortDeadline}},
		{"unplaced cases", Query{UnitIDs: []string{Unset, "dispatch-350000"}, Status: []string{"registered"}}},
		{"no track", Query{Track: []string{Unset}}},
		{"kind and channel", Query{Kind: []string{"complaint"}, Channel: []string{"12315", "web"}}},
		{"category and problem", Query{Category: []string{"household_appliances"}, Problem: []string{"quality", "fraud"}}},
		{"outcome", Query{Outcome: []string{"resolved"}}},
		{"department", Query{Department: []string{"consumer_protection"}}},
		{"county", Query{DivisionCounty: []string{"350203"}}},
		{"city", Query{DivisionCity: []string{"350100"}}},
		{"no division", Query{DivisionCounty: []string{Unset}}},
		{"created range", Query{CreatedFrom: testNow.AddDate(0, 0, -20), CreatedTo: testNow.AddDate(0, 0, -10)}},
		{"created from only", Query{CreatedFrom: testNow.AddDate(0, 0, -5)}},
		{"amount range", Query{AmountMin: i64(100_000), AmountMax: i64(300_000)}},
		{"amount at least", Query{AmountMin: i64(900_000)}},
		{"overdue now", Query{Overdue: true}},
		{"overdue at a given time", Query{Overdue: true, Now: testNow.AddDate(0, 0, -30)}},
		{"due within three days", Query{DueBefore: testNow.AddDate(0, 0, 3), Status: []string{"registered", "assigned"}}},
		{"respondent by USCC", Query{RespondentUSCC: strings.ToLower(cases[7].Respondent.USCC)}},
		{"respondent by name typed loosely", Query{RespondentName: " 厦门某某电器 有限公司 "}},
		{"empty access scope", Query{UnitIDs: []string{}}},
		{"free text with filters", Query{Text: "空调", Status: []string{"registered", "closed"}, DivisionCity: []string{"350200"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []*weiquan.Case
			for _, c := range cases {
				if oracle(c, tt.q) && (tt.q.Text == "" || strings.Contains(c.Title+c.Description, tt.q.Text)) {
					want = append(want, c)
				}
			}
			q := tt.q
			q.PageSize = 37
			items, total := walk(t, ix, q)
			got := ids(items)
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(sortedIDs(want)) {
				t.Errorf("got %d cases, want %d\n got %v\nwant %v", len(got), len(want), got, sortedIDs(want))
			}
			if total != uint64(len(want)) {
				t.Errorf("Total = %d, want %d", total, len(want))
			}
		})
	}
}

func TestSortAndPaging(t *testing.T) {
	cases := sampleCases(250, 21)
	byID := map[string]*weiquan.Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	ix, _ := newTestIndex(t, cases)
	deadline := func(c *weiquan.Case) time.Time {
		if d := NextDeadline(c); d != nil {
			return *d
		}
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	tests := []struct {
		name string
		q    Query
		// want orders two cases as the sort must, ties broken by id
		want func(a, b *weiquan.Case) int
	}{
		{"created, newest first", Query{Sort: SortCreated}, func(a, b *weiquan.Case) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		}},
		{"relevance without text is newest first", Query{}, func(a, b *weiquan.Case) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		}},
		{"deadline, soonest first, none last", Query{Sort: SortDeadline}, func(a, b *weiquan.Case) int {
			return cmp.Or(deadline(a).Compare(deadline(b)), strings.Compare(a.ID, b.ID))
		}},
		{"deadline with a filter", Query{Sort: SortDeadline, Status: []string{"accepted", "mediating"}}, func(a, b *weiquan.Case) int {
			return cmp.Or(deadline(a).Compare(deadline(b)), strings.Compare(a.ID, b.ID))
		}},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 7, 100} {
			t.Run(fmt.Sprintf("%s/page size %d", tt.name, size), func(t *testing.T) {
				var want []*weiquan.Case
				for _, c := range cases {
					if oracle(c, tt.q) {
						want = append(want, c)
					}
				}
				slices.SortFunc(want, tt.want)
				q := tt.q
				q.PageSize = size
				items, _ := walk(t, ix, q)
				got := ids(items)
				wantIDs := make([]string, len(want))
				for i, c := range want {
					wantIDs[i] = c.ID
				}
				if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
					t.Errorf("order differs\n got %v\nwant %v", got, wantIDs)
				}
			})
		}
	}

	t.Run("relevance with text pages without duplicates or gaps", func(t *testing.T) {
		q := Query{Text: "退款", PageSize: 9}
		items, total := walk(t, ix, q)
		seen := map[string]bool{}
		for _, it := range items {
			if seen[it.ID] {
				t.Fatalf("%s appears twice", it.ID)
			}
			seen[it.ID] = true
		}
		if uint64(len(items)) != total || total == 0 {
			t.Errorf("walked %d items, total %d", len(items), total)
		}
	})
	t.Run("page size is capped", func(t *testing.T) {
		res, err := ix.Search(context.Background(), Query{PageSize: 1000})
		if err != nil || len(res.Items) != MaxPageSize {
			t.Errorf("got %d items, %v; want %d", len(res.Items), err, MaxPageSize)
		}
		res, err = ix.Search(context.Background(), Query{})
		if err != nil || len(res.Items) != DefaultPageSize {
			t.Errorf("got %d items, %v; want %d", len(res.Items), err, DefaultPageSize)
		}
	})
}

func TestBadCursorAndSort(t *testing.T) {
	ix, _ := newTestIndex(t, sampleCases(30, 22))
	ctx := context.Background()
	first, err := ix.Search(ctx, Query{Sort: SortCreated, PageSize: 5})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	tests := []struct {
		name string
		q    Query
	}{
		{"not base64", Query{Cursor: "%%%"}},
		{"garbage", Query{Cursor: "AQIDBAUG"}},
		{"empty payload", Query{Cursor: "AQ"}},
		{"cursor of another sort", Query{Sort: SortDeadline, Cursor: first.NextCursor}},
		{"unknown sort", Query{Sort: "oldest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ix.Search(ctx, tt.q)
			if weiquan.ErrorCode(err) != weiquan.EInvalid {
				t.Fatalf("got %v, want %s", err, weiquan.EInvalid)
			}
			if msg := weiquan.ErrorMessage(err); !strings.ContainsAny(msg, "无效") {
				t.Errorf("message %q is not for a person", msg)
			}
		})
	}
}

func TestFacets(t *testing.T) {
	cases := sampleCases(300, 23)
	ix, _ := newTestIndex(t, cases)
	for _, tt := range []struct {
		name string
		q    Query
	}{
		{"all cases", Query{Facets: true}},
		{"filtered", Query{Facets: true, Status: []string{"registered", "assigned"}, Channel: []string{"12315"}}},
		{"text", Query{Facets: true, Text: "冰箱"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]map[string]int{}
			for _, name := range []string{FacetStatus, FacetChannel, FacetCategory, FacetUnit, FacetCity} {
				want[name] = map[string]int{}
			}
			for _, c := range cases {
				if !oracle(c, tt.q) || (tt.q.Text != "" && !strings.Contains(c.Title+c.Description, tt.q.Text)) {
					continue
				}
				want[FacetStatus][orUnset(string(c.Status))]++
				want[FacetChannel][orUnset(string(c.Channel))]++
				want[FacetCategory][orUnset(c.Subject.Category)]++
				want[FacetUnit][orUnset(c.UnitID)]++
				want[FacetCity][orUnset(weiquan.CityCode(c.Respondent.DivisionCode))]++
			}
			for name, counts := range want {
				got := map[string]int{}
				for _, fc := range res.Facets[name] {
					got[fc.Value] = fc.Count
				}
				if fmt.Sprint(got) != fmt.Sprint(counts) {
					t.Errorf("facet %s = %v, want %v", name, got, counts)
				}
				if !slices.IsSortedFunc(res.Facets[name], func(a, b FacetCount) int { return b.Count - a.Count }) {
					t.Errorf("facet %s is not by count: %v", name, res.Facets[name])
				}
			}
		})
	}
	t.Run("not asked for", func(t *testing.T) {
		res, err := ix.Search(context.Background(), Query{})
		if err != nil || res.Facets != nil {
			t.Errorf("Facets = %v, %v; want none", res.Facets, err)
		}
	})
}

func TestHighlights(t *testing.T) {
	c := sampleCases(1, 24)[0]
	c.Title = "空调安装后漏水，商家拒绝退货"
	c.Description = "师傅说<script>alert(1)</script>是空调漏水的正常现象。型号 KFR-35GW/BpR3"
	c.Subject.Brand = "格力"
	ix, _ := newTestIndex(t, []*weiquan.Case{c})
	tests := []struct {
		text string
		want map[string]string // field → the fragment, exactly
	}{
		{"空调漏", map[string]string{
			fDescription: "师傅说&lt;script&gt;alert(1)&lt;/script&gt;是<mark>空调漏</mark>水的正常现象。型号 KFR-35GW/BpR3",
		}},
		{"漏水", map[string]string{
			fTitle:       "空调安装后<mark>漏水</mark>，商家拒绝退货",
			fDescription: "师傅说&lt;script&gt;alert(1)&lt;/script&gt;是空调<mark>漏水</mark>的正常现象。型号 KFR-35GW/BpR3",
		}},
		{"型号 kfr-35gw", map[string]string{
			fDescription: "师傅说&lt;script&gt;alert(1)&lt;/script&gt;是空调漏水的正常现象。<mark>型号</mark> <mark>KFR-35GW</mark>/BpR3",
		}},
		{"格力", map[string]string{fBrand: "<mark>格力</mark>"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			res, err := ix.Search(context.Background(), Query{Text: tt.text})
			if err != nil || len(res.Items) != 1 {
				t.Fatalf("Search: %+v, %v", res, err)
			}
			got := map[string]string{}
			for f, frags := range res.Items[0].Highlights {
				got[f] = strings.Join(frags, " | ")
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("highlights\n got %v\nwant %v", got, tt.want)
			}
		})
	}
	t.Run("no text, no highlights", func(t *testing.T) {
		res, err := ix.Search(context.Background(), Query{})
		if err != nil || len(res.Items) != 1 || res.Items[0].Highlights != nil {
			t.Errorf("got %+v, %v", res, err)
		}
	})
}

func TestFreeText(t *testing.T) {
	cases := sampleCases(60, 25)
	special := cases[0]
	special.Title = "空调冷凝管脱落漏水"
	cases[1].Description += "冷凝管脱落"
	special.Description = "购买的空调型号ＫＦＲ－３５ＧＷ／ＢｐＲ３，内存4G的平板也坏了。"
	special.Subject.Model = "KFR-35GW/BpR3"
	special.Respondent.Name = "厦门湖里某某电器有限公司"
	special.Respondent.USCC = "91350206MA2YQX3Q3L"
	ix, _ := newTestIndex(t, cases)
	contains := func(needle string) []string {
		var out []*weiquan.Case
		for _, c := range cases {
			hay := Normalize(strings.Join([]string{c.Title, c.Description, c.Subject.Product, c.Subject.Brand, c.Subject.Model, c.Respondent.Name}, "\n"))
			if relevant(hay, Normalize(needle)) {
				out = append(out, c)
			}
		}
		return sortedIDs(out)
	}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"one character", "漏", contains("漏")},
		{"two characters", "空调", contains("空调")},
		{"inside a word", "调漏", contains("调漏")},
		{"company name part", "湖里某某", []string{special.ID}},
		{"model typed with a space before", "型号 KFR-35GW", []string{special.ID}},
		{"model lower-case", "kfr-35gw/bpr3", []string{special.ID}},
		{"model full-width as typed", "ＫＦＲ－３５ＧＷ", contains("KFR-35GW")},
		{"mixed script without space", "内存4G", []string{special.ID}},
		{"character after digits", "4G的", []string{special.ID}},
		{"case number", special.ID, []string{special.ID}},
		{"USCC lower-case", strings.ToLower(special.Respondent.USCC), []string{special.ID}},
		{"two words must both occur", "空调 坏了", []string{special.ID}},
		{"a word that is nowhere", "电饭煲", nil},
		{"punctuation only means no text filter", "，。！", sortedIDs(cases)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, _ := walk(t, ix, Query{Text: tt.text, PageSize: 100})
			got := ids(items)
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Text %q: got %v, want %v", tt.text, got, tt.want)
			}
		})
	}
	t.Run("words written together rank above words apart", func(t *testing.T) {
		apart, together := cases[2], cases[3]
		// The shorter text would rank first on word counts alone.
		apart.Title, apart.Description = "投诉", "漏水的空调"
		together.Title, together.Description = "投诉", "家里那台用了三年的空调漏水，商家一直不上门维修"
		ix, _ := newTestIndex(t, []*weiquan.Case{apart, together})
		res, err := ix.Search(context.Background(), Query{Text: "空调 漏水"})
		if err != nil || fmt.Sprint(ids(res.Items)) != fmt.Sprint([]string{together.ID, apart.ID}) {
			t.Errorf("hits %v, %v; want %s (空调漏水) before %s", ids(res.Items), err, together.ID, apart.ID)
		}
	})
	t.Run("title ranks above description", func(t *testing.T) {
		res, err := ix.Search(context.Background(), Query{Text: "冷凝管"})
		if err != nil || fmt.Sprint(ids(res.Items)) != fmt.Sprint([]string{special.ID, cases[1].ID}) {
			t.Errorf("hits %v, %v; want %s (冷凝管 in its title) before %s", ids(res.Items), err, special.ID, cases[1].ID)
		}
	})
}

func TestSummary(t *testing.T) {
	c := sampleCases(1, 26)[0]
	c.Status = weiquan.StatusAccepted
	c.Outcome = ""
	c.UnitID = "amr-350203"
	accept := testNow.Add(-48 * time.Hour)
	mediate := testNow.Add(30 * 24 * time.Hour)
	c.Deadlines = weiquan.Deadlines{AcceptBy: &accept, MediateBy: &mediate}
	ix, _ := newTestIndex(t, []*weiquan.Case{c})
	res, err := ix.Search(context.Background(), Query{})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	got := res.Items[0]
	want := Summary{
		ID: c.ID, Version: c.Version, Kind: string(c.Kind), Channel: string(c.Channel), Status: "accepted",
		Track: string(c.Track), Title: c.Title, RespondentName: c.Respondent.Name, Category: c.Subject.Category,
		UnitID: "amr-350203", CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, NextDeadline: &mediate,
		PhoneMasked: "*******" + c.Complainant.Phone[7:],
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || got.NextDeadline == nil || !got.NextDeadline.Equal(mediate) {
		t.Errorf("times: got %v %v %v, want %v %v %v", got.CreatedAt, got.UpdatedAt, got.NextDeadline, want.CreatedAt, want.UpdatedAt, mediate)
	}
	if got.CreatedAt.Location() != weiquan.Shanghai {
		t.Errorf("CreatedAt is in %v, want Asia/Shanghai", got.CreatedAt.Location())
	}
	got.CreatedAt, got.UpdatedAt, got.NextDeadline = want.CreatedAt, want.UpdatedAt, want.NextDeadline
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("Summary\n got %+v\nwant %+v", got, want)
	}
}

func TestNextDeadline(t *testing.T) {
	a := testNow.Add(24 * time.Hour)
	m := testNow.Add(40 * 24 * time.Hour)
	v := testNow.Add(10 * 24 * time.Hour)
	tests := []struct {
		name   string
		status weiquan.Status
		d      weiquan.Deadlines
		want   *time.Time
	}{
		{"waiting to be accepted", weiquan.StatusAssigned, weiquan.Deadlines{AcceptBy: &a, MediateBy: &m}, &a},
		{"mediating", weiquan.StatusMediating, weiquan.Deadlines{AcceptBy: &a, MediateBy: &m}, &m},
		{"verifying", weiquan.StatusVerifying, weiquan.Deadlines{VerifyBy: &v}, &v},
		{"closed has none", weiquan.StatusClosed, weiquan.Deadlines{AcceptBy: &a}, nil},
		{"status limit unset: earliest set", weiquan.StatusAccepted, weiquan.Deadlines{AcceptBy: &m, VerifyBy: &v}, &v},
		{"no deadlines", weiquan.StatusRegistered, weiquan.Deadlines{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextDeadline(&weiquan.Case{Status: tt.status, Deadlines: tt.d})
			if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
				t.Errorf("NextDeadline = %v, want %v", got, tt.want)
			}
		})
	}
}
