package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

func TestCaseNumbersConcurrent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

	const workers, perWorker = 8, 50
	var (
		mu   sync.Mutex
		ids  []string
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				id, err := numberNewCase(ctx, s, at)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("number new case: %v", err)
	}

	slices.Sort(ids)
	want := make([]string, workers*perWorker)
	for i := range want {
		want[i] = fmt.Sprintf("20261126%06d", i+1)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("got %d ids %v … %v, want the %d consecutive ids %s … %s",
			len(ids), head(ids), tail(ids), len(want), want[0], want[len(want)-1])
	}
}

// numberNewCase stores a minimal new case created at at and returns the
// number it was given.
func numberNewCase(ctx context.Context, s *store.Store, at time.Time) (string, error) {
	c := &weiquan.Case{Kind: weiquan.KindInquiry, Version: 1, CreatedAt: at, UpdatedAt: at}
	err := s.InsertNewCase(ctx, c)
	return c.ID, err
}

func head(ids []string) []string { return ids[:min(3, len(ids))] }
func tail(ids []string) []string { return ids[max(0, len(ids)-3):] }

func TestCaseNumbersPerShanghaiDay(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()

	// Each step allocates in order on the same store: the sequence is per
	// Shanghai day, whatever zone the time is given in.
	steps := []struct {
		name string
		at   time.Time
		want string
	}{
		{"first of the day", time.Date(2026, 11, 26, 0, 0, 0, 0, weiquan.Shanghai), "20261126000001"},
		{"last second of the day in UTC", time.Date(2026, 11, 26, 15, 59, 59, 0, time.UTC), "20261126000002"},
		{"UTC 16:00 is the next Shanghai day", time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC), "20261127000001"},
		{"next day continues", time.Date(2026, 11, 27, 9, 0, 0, 0, weiquan.Shanghai), "20261127000002"},
		{"earlier day keeps its own counter", time.Date(2026, 11, 26, 23, 0, 0, 0, weiquan.Shanghai), "20261126000003"},
		{"new year in another zone", time.Date(2026, 12, 31, 11, 0, 0, 0, time.FixedZone("EST", -5*3600)), "20270101000001"},
	}
	for _, st := range steps {
		got, err := numberNewCase(ctx, s, st.at)
		if err != nil {
			t.Fatalf("%s: number a case created %v: %v", st.name, st.at, err)
		}
		if got != st.want {
			t.Errorf("%s: a case created %v got %s, want %s", st.name, st.at, got, st.want)
		}
	}
}

// fullCase sets every field of a case, so that a field the store drops or
// mangles shows up in the round trip.
func fullCase(id string) *weiquan.Case {
	at := time.Date(2026, 11, 26, 9, 30, 15, 123_456_789, weiquan.Shanghai)
	d := func(days int) *time.Time { t := at.AddDate(0, 0, days); return &t }
	return &weiquan.Case{
		ID:      id,
		Version: 1,
		Kind:    weiquan.KindComplaint,
		Channel: weiquan.Channel12315,
		Source:  weiquan.Source{Type: "hotline", OperatorID: "u-op1", CallID: "call-77", CallerNumber: "059187654321"},
		Complainant: weiquan.Complainant{
			Name: "林小姐", Phone: "13800138000", Address: "福州市鼓楼区五四路1号", Anonymous: true,
		},
		Respondent: weiquan.Respondent{
			Name: "福州某某电器有限公司", USCC: "91350100MA2XXXXX1X", Address: "福州市台江区八一七中路2号",
			DivisionCode: "350103", Platform: "某电商平台", Shop: "某某旗舰店",
		},
		Subject: weiquan.Subject{
			Category: "household_appliances", Problem: "quality", Product: "空调", Brand: "某牌",
			Model: "KFR-35", PurchaseDate: "2026-10-01", AmountFen: 359900,
		},
		Title:       "空调不制冷",
		Description: "购买一个月后空调不制冷，商家拒绝维修。",
		Demands:     []string{"repair", "compensation"},
		Consent:     weiquan.Consent{SMS: true, Mediation: true, Arbitration: true},
		Status:      weiquan.StatusMediating,
		Outcome:     weiquan.OutcomeResolved,
		Track:       weiquan.TrackAgency,
		UnitID:      "amr-350103",
		Department:  "消费者权益保护科",
		Deadlines:   weiquan.Deadlines{AcceptBy: d(7), MediateBy: d(45), VerifyBy: d(60)},
		Policy:      "fujian-2026",
		Links:       []weiquan.Link{{Type: "duplicate_of", CaseID: "20261125000009"}},
		Events: []weiquan.Event{
			{Seq: 1, At: at, Actor: "u-op1", Type: weiquan.EventRegistered, To: weiquan.StatusRegistered, Public: true, Note: "电话登记"},
			{Seq: 2, At: at.Add(time.Hour), Actor: "system", Type: "assigned", From: weiquan.StatusRegistered, To: weiquan.StatusAssigned, Note: "按地址分派"},
		},
		CreatedAt: at,
		UpdatedAt: at.Add(time.Hour),
	}
}

// storedForm is what a case looks like after a trip through BSON: times at
// millisecond precision, in UTC.
func storedForm(c *weiquan.Case) *weiquan.Case {
	ms := func(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }
	cp := *c
	cp.CreatedAt, cp.UpdatedAt = ms(c.CreatedAt), ms(c.UpdatedAt)
	for _, p := range []**time.Time{&cp.Deadlines.AcceptBy, &cp.Deadlines.MediateBy, &cp.Deadlines.VerifyBy} {
		if *p != nil {
			t := ms(**p)
			*p = &t
		}
	}
	cp.Events = slices.Clone(c.Events)
	for i := range cp.Events {
		cp.Events[i].At = ms(cp.Events[i].At)
	}
	return &cp
}

// normaliseTimes puts every time of a case in UTC so that reflect.DeepEqual
// compares instants, not locations.
func normaliseTimes(c *weiquan.Case) *weiquan.Case {
	cp := *c
	cp.CreatedAt, cp.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	for _, p := range []**time.Time{&cp.Deadlines.AcceptBy, &cp.Deadlines.MediateBy, &cp.Deadlines.VerifyBy} {
		if *p != nil {
			t := (**p).UTC()
			*p = &t
		}
	}
	cp.Events = slices.Clone(c.Events)
	for i := range cp.Events {
		cp.Events[i].At = cp.Events[i].At.UTC()
	}
	return &cp
}

func TestCaseRoundTrip(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()

	c := fullCase("20261126000001")
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	got, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	if want := storedForm(c); !reflect.DeepEqual(normaliseTimes(got), want) {
		t.Errorf("GetCase after CreateCase:\n got %+v\nwant %+v", got, want)
	}
	if !got.CreatedAt.Equal(c.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, c.CreatedAt.Truncate(time.Millisecond))
	}

	// A save replaces the whole document: changed fields arrive, removed
	// ones go.
	got.Status = weiquan.StatusClosed
	got.Deadlines.VerifyBy = nil
	got.Links = nil
	got.Events = append(got.Events, weiquan.Event{Seq: 3, At: got.UpdatedAt.Add(time.Minute), Actor: "u-off1", Type: "closed", From: weiquan.StatusMediating, To: weiquan.StatusClosed, Public: true, Note: "调解成功"})
	got.UpdatedAt = got.UpdatedAt.Add(time.Minute)
	if err := s.SaveCase(ctx, got, 1); err != nil {
		t.Fatalf("SaveCase: %v", err)
	}
	if got.Version != 2 {
		t.Errorf("Version after SaveCase = %d, want 2", got.Version)
	}
	again, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase after SaveCase: %v", err)
	}
	if !reflect.DeepEqual(normaliseTimes(again), storedForm(got)) {
		t.Errorf("GetCase after SaveCase:\n got %+v\nwant %+v", again, storedForm(got))
	}
}

func TestCreateCaseDuplicate(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	c := fullCase("20261126000001")
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	other := fullCase(c.ID)
	other.Title = "另一件"
	err := s.CreateCase(ctx, other)
	if got := weiquan.ErrorCode(err); got != weiquan.EConflict {
		t.Fatalf("second CreateCase with the same id: code %q (%v), want %q", got, err, weiquan.EConflict)
	}
	stored, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	if stored.Title != c.Title {
		t.Errorf("Title after duplicate create = %q, want the first %q", stored.Title, c.Title)
	}
}

func TestGetCaseNotFound(t *testing.T) {
	s := storetest.New(t)
	_, err := s.GetCase(context.Background(), "20261126999999")
	if got := weiquan.ErrorCode(err); got != weiquan.ENotFound {
		t.Errorf("GetCase of a missing case: code %q (%v), want %q", got, err, weiquan.ENotFound)
	}
}

func TestSaveCaseVersions(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	c := fullCase("20261126000001")
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}

	// Steps run in order against the same case; version starts at 1.
	steps := []struct {
		name        string
		id          string
		expected    int64
		wantCode    string
		wantVersion int64 // of the argument after the call
	}{
		{"current version wins", c.ID, 1, "", 2},
		{"same version again is stale", c.ID, 1, weiquan.EConflict, 7},
		{"version from the future is stale", c.ID, 5, weiquan.EConflict, 7},
		{"missing case", "20261126999999", 1, weiquan.ENotFound, 7},
		{"next version wins", c.ID, 2, "", 3},
	}
	for _, st := range steps {
		arg := fullCase(st.id)
		arg.Version = 7 // SaveCase must not trust it, and must leave it alone on failure
		arg.Title = st.name
		err := s.SaveCase(ctx, arg, st.expected)
		if got := weiquan.ErrorCode(err); got != st.wantCode {
			t.Fatalf("%s: SaveCase(expected %d): code %q (%v), want %q", st.name, st.expected, got, err, st.wantCode)
		}
		if arg.Version != st.wantVersion {
			t.Errorf("%s: version after SaveCase = %d, want %d", st.name, arg.Version, st.wantVersion)
		}
		if st.wantCode == weiquan.EConflict && !strings.Contains(weiquan.ErrorMessage(err), "刷新") {
			t.Errorf("%s: message %q does not tell the person to reload", st.name, weiquan.ErrorMessage(err))
		}
	}
	stored, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	if stored.Version != 3 || stored.Title != "next version wins" {
		t.Errorf("stored case has version %d and title %q, want 3 and %q", stored.Version, stored.Title, "next version wins")
	}
}

// TestSaveCaseConcurrent races two saves of the same version many times:
// exactly one of each pair may win. On FerretDB without the store's per-case
// lock both would win and one update would be lost.
func TestSaveCaseConcurrent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	c := fullCase("20261126000001")
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}

	const rounds = 25
	for round := range rounds {
		expected := int64(round + 1)
		var (
			wg   sync.WaitGroup
			errs [2]error
		)
		for i := range errs {
			wg.Go(func() {
				mine := fullCase(c.ID)
				mine.Title = fmt.Sprintf("round %d writer %d", round, i)
				errs[i] = s.SaveCase(ctx, mine, expected)
			})
		}
		wg.Wait()
		codes := []string{weiquan.ErrorCode(errs[0]), weiquan.ErrorCode(errs[1])}
		slices.Sort(codes)
		if want := []string{"", weiquan.EConflict}; !slices.Equal(codes, want) {
			t.Fatalf("round %d: SaveCase codes %q (errors %v, %v), want one success and one %q",
				round, codes, errs[0], errs[1], weiquan.EConflict)
		}
	}
	stored, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	if want := int64(rounds + 1); stored.Version != want {
		t.Errorf("version after %d rounds = %d, want %d", rounds, stored.Version, want)
	}
}

func TestSaveCaseKeepsUpdatedAt(t *testing.T) {
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := storetest.NewWithOptions(t, store.Options{Now: func() time.Time { return clock }})
	ctx := context.Background()
	c := fullCase("20261126000001")
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	updated := time.Date(2026, 11, 27, 8, 0, 0, 0, weiquan.Shanghai)
	c.UpdatedAt = updated
	if err := s.SaveCase(ctx, c, 1); err != nil {
		t.Fatalf("SaveCase: %v", err)
	}
	got, err := s.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	if !got.UpdatedAt.Equal(updated) {
		t.Errorf("UpdatedAt = %v, want the caller's %v", got.UpdatedAt, updated)
	}
}

func TestOpenUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Port 1 on loopback: nothing listens, the connection is refused at once.
	_, err := store.Open(ctx, "mongodb://127.0.0.1:1/?connectTimeoutMS=200", "weiquan", store.Options{})
	if got := weiquan.ErrorCode(err); got != weiquan.EUnavailable {
		t.Fatalf("Open of an unreachable server: code %q (%v), want %q", got, err, weiquan.EUnavailable)
	}
	var e *weiquan.Error
	if !errors.As(err, &e) || e.Message != "数据库暂时不可用，请稍后重试" {
		t.Errorf("message = %q, want the unavailable message", weiquan.ErrorMessage(err))
	}
}

func TestClosedStoreUnavailable(t *testing.T) {
	uri, _ := storetest.URI(t)
	ctx := context.Background()
	s, err := store.Open(ctx, uri, fmt.Sprintf("wqt_closed_%d", time.Now().UnixNano()), store.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.DropDatabase(ctx); err != nil {
		t.Fatalf("DropDatabase: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err = s.GetCase(ctx, "20261126000001")
	if got := weiquan.ErrorCode(err); got != weiquan.EUnavailable {
		t.Errorf("GetCase on a closed store: code %q (%v), want %q", got, err, weiquan.EUnavailable)
	}
}

func TestInsertNewCaseConcurrent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	const writers, each = 16, 25
	ids := make(chan string, writers*each)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				at := day
				if i%5 == 0 {
					at = day.Add(24 * time.Hour) // batches that span two days
				}
				c := &weiquan.Case{Kind: weiquan.KindInquiry, Description: fmt.Sprintf("%d/%d", w, i), CreatedAt: at}
				if err := s.InsertNewCase(ctx, c); err != nil {
					t.Error(err)
					return
				}
				ids <- c.ID
			}
		}(w)
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	perDay := map[string]int{}
	for id := range ids {
		if seen[id] {
			t.Errorf("case number %s given twice", id)
		}
		seen[id] = true
		perDay[id[:8]]++
		got, err := s.GetCase(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if got.ID != id {
			t.Errorf("got %s, want %s", got.ID, id)
		}
	}
	if len(seen) != writers*each {
		t.Errorf("got %d cases, want %d", len(seen), writers*each)
	}
	// Numbers are dense per day: the batches reserve exactly what they use.
	for d, n := range perDay {
		for seq := 1; seq <= n; seq++ {
			if id := fmt.Sprintf("%s%06d", d, seq); !seen[id] {
				t.Errorf("number %s missing: numbering has a gap", id)
			}
		}
	}
	if perDay["20261126"] != 320 || perDay["20261127"] != 80 {
		t.Errorf("got per-day counts %v", perDay)
	}
}

func TestInsertNewCaseRefusesNumbered(t *testing.T) {
	s := storetest.New(t)
	if err := s.InsertNewCase(context.Background(), &weiquan.Case{ID: "20261126000001"}); err == nil {
		t.Error("a case with a number was inserted as new")
	}
}
