package notifications

import (
	"context"
	"fmt"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
	"weiquan/store/storetest"
)

// BenchmarkDispatcher measures how fast owed messages go out through the
// real twilio-go client to the fake Twilio, on the store the tests use (the
// embedded FerretDB unless WEIQUAN_TEST_MONGO_URI is set): 500 cases owing
// one message each, stored before the dispatcher starts, timed until the
// last is recorded. Run it with -benchtime 1x.
//
//	go test -run '^$' -bench BenchmarkDispatcher -benchtime 1x ./notifications
func BenchmarkDispatcher(b *testing.B) {
	for _, exclusive := range []bool{false, true} {
		b.Run(fmt.Sprintf("exclusive=%v", exclusive), func(b *testing.B) { benchDispatcher(b, exclusive) })
	}
}

func benchDispatcher(b *testing.B, exclusive bool) {
	const n = 500
	fake, err := twiliofake.Start(twiliofake.Config{NoCallbacks: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	sender, err := NewTwilio(TwilioConfig{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(),
		From: "+15005550006", BaseURL: fake.URL})
	if err != nil {
		b.Fatal(err)
	}
	clk := newClock(tenAM)
	for i := range b.N {
		st := storetest.New(b)
		ctx := context.Background()
		for j := 1; j <= n; j++ {
			c := testCase(fmt.Sprintf("2026112%d%06d", i%10, j), phoneN(j))
			c.Messages = Owed(c, weiquan.EventRegistered, testTrackURL, tenAM)
			if err := st.CreateCase(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		fake.Reset()
		d := NewDispatcher(st, func() Feed { return st.Subscribe() }, sender,
			Options{Now: clk.Now, Exclusive: exclusive, Logger: discardLogger()})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		b.ResetTimer()
		start := time.Now()
		go func() { done <- d.Run(runCtx) }()
		for d.Stats().Sent < n {
			time.Sleep(time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if got := len(fake.Messages()); got != n {
			b.Fatalf("fake got %d messages, want %d", got, n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	}
}

// BenchmarkOwed is the cost a transition pays to compute the messages it
// owes (the closure of a complaint: the result and the survey).
func BenchmarkOwed(b *testing.B) {
	c := testCase("20261126000001", "13800138000")
	c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeResolved
	for b.Loop() {
		if len(Owed(c, "record_agreement", testTrackURL, tenAM)) != 2 {
			b.Fatal("want two messages")
		}
	}
}
