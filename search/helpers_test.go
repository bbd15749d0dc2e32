package search

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"weiquan"
)

var testKey = []byte("test-phone-key-0123456789abcdef")

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

func testOptions() Options {
	return Options{PhoneKey: testKey, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)}
}

func casesSeq(cases []*weiquan.Case) iter.Seq2[*weiquan.Case, error] {
	return func(yield func(*weiquan.Case, error) bool) {
		for _, c := range cases {
			if !yield(c, nil) {
				return
			}
		}
	}
}

// newTestIndex builds an index of the cases in a fresh directory, the way a
// start-up rebuild does, and closes it when the test ends.
func newTestIndex(t testing.TB, cases []*weiquan.Case) (*Index, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := Rebuild(context.Background(), dir, testOptions(), Source{Checkpoint: "start", Cases: casesSeq(cases)})
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix, dir
}

// Words for synthetic cases, written for these tests.
var (
	testProducts = []string{"空调", "冰箱", "洗衣机", "热水器", "手机", "电视机", "羽绒服", "奶粉", "电动车", "健身卡"}
	testBrands   = []string{"格力", "美的", "海尔", "华为", "小米", "安踏", "飞鹤", "雅迪"}
	testProblems = []string{"漏水", "不制冷", "屏幕碎裂", "开胶", "过期", "无法充电", "拒绝退款", "噪音很大"}
	testShops    = []string{"厦门某某电器有限公司", "福州某某商贸有限公司", "泉州某某服饰有限公司", "漳州某某健身俱乐部"}
	testUnits    = []string{"amr-350203", "amr-350102", "amr-350503", "amr-350602", "dispatch-350000", ""}
	testCounties = []string{"350203", "350102", "350503", "350602", "350128", ""}
	testStatuses = []weiquan.Status{weiquan.StatusRegistered, weiquan.StatusAssigned, weiquan.StatusAccepted, weiquan.StatusMediating, weiquan.StatusVerifying, weiquan.StatusClosed}
	testCats     = []string{"household_appliances", "communication_devices", "clothing", "food", "prepaid_services"}
)

// sampleCases makes n varied cases, deterministic for a seed. Every field a
// filter, sort or facet uses takes several values, including none.
func sampleCases(n int, seed uint64) []*weiquan.Case {
	r := rand.New(rand.NewPCG(seed, 99))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	out := make([]*weiquan.Case, 0, n)
	for i := range n {
		created := testNow.Add(-time.Duration(r.IntN(60*24)) * time.Hour).Add(-time.Duration(r.IntN(3600)) * time.Second)
		if i%17 == 0 && i > 0 {
			created = out[i-1].CreatedAt // equal sort keys: ties are broken by id
		}
		status := testStatuses[r.IntN(len(testStatuses))]
		product, brand, problem := pick(testProducts), pick(testBrands), pick(testProblems)
		c := &weiquan.Case{
			ID:      fmt.Sprintf("%s%06d", created.Format("20060102"), i+1),
			Version: int64(1 + r.IntN(5)),
			Kind:    []weiquan.Kind{weiquan.KindComplaint, weiquan.KindReport, weiquan.KindInquiry}[r.IntN(3)],
			Channel: weiquan.Channels[r.IntN(len(weiquan.Channels))],
			Source:  weiquan.Source{Type: "hotline", CallerNumber: fmt.Sprintf("1390%07d", r.IntN(10_000_000))},
			Complainant: weiquan.Complainant{
				Name:  "测试人",
				Phone: fmt.Sprintf("13%d%08d", 5+r.IntN(5), r.IntN(100_000_000)),
			},
			Respondent: weiquan.Respondent{
				Name:         pick(testShops),
				USCC:         fakeUSCC(r),
				DivisionCode: pick(testCounties),
			},
			Subject: weiquan.Subject{
				Category:  pick(testCats),
				Problem:   []string{"quality", "after_sales", "contract", "fraud"}[r.IntN(4)],
				Product:   product,
				Brand:     brand,
				Model:     fmt.Sprintf("KFR-%dGW/Bp%c", 20+r.IntN(60), 'A'+rune(r.IntN(26))),
				AmountFen: int64(r.IntN(1_000_000)),
			},
			Title:       fmt.Sprintf("%s%s%s", brand, product, problem),
			Description: fmt.Sprintf("购买的%s%s出现%s的问题，联系商家多次未果，要求退货退款。", brand, product, problem),
			Demands:     []string{"refund"},
			Status:      status,
			Track:       []weiquan.Track{weiquan.TrackAgency, weiquan.TrackODR, weiquan.TrackNone}[r.IntN(3)],
			UnitID:      pick(testUnits),
			Department:  "consumer_protection",
			CreatedAt:   created,
			UpdatedAt:   created.Add(time.Hour),
			Events:      []weiquan.Event{{Seq: 1, At: created, Type: weiquan.EventRegistered, Note: "来电登记"}},
		}
		if status == weiquan.StatusClosed {
			c.Outcome = weiquan.OutcomeResolved
		}
		if r.IntN(4) > 0 {
			accept := created.Add(time.Duration(3+r.IntN(10)) * 24 * time.Hour)
			c.Deadlines.AcceptBy = &accept
			if r.IntN(2) == 0 {
				mediate := accept.Add(45 * 24 * time.Hour)
				c.Deadlines.MediateBy = &mediate
			}
		}
		out = append(out, c)
	}
	return out
}

// walk reads every page of a query and returns the items in order.
func walk(t testing.TB, ix *Index, q Query) ([]Summary, uint64) {
	t.Helper()
	var items []Summary
	var total uint64
	for page := 0; ; page++ {
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search page %d: %v", page, err)
		}
		if page == 0 {
			total = res.Total
		} else if res.Total != total {
			t.Fatalf("page %d: total %d, first page said %d", page, res.Total, total)
		}
		items = append(items, res.Items...)
		if res.NextCursor == "" {
			return items, total
		}
		if len(res.Items) == 0 {
			t.Fatalf("page %d: a next cursor with no items", page)
		}
		q.Cursor = res.NextCursor
		if page > 10_000 {
			t.Fatal("paging does not end")
		}
	}
}

func ids(items []Summary) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func sortedIDs(cases []*weiquan.Case) []string {
	out := make([]string, 0, len(cases))
	for _, c := range cases {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}
