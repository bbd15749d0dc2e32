package handlers

import (
	"sync"
	"testing"
	"time"
)

// A form posted twice at once is saved once: the second post waits for the
// first and is given its case; a post whose save failed leaves the form free
// to be sent again.
func TestFormKeysSaveOnce(t *testing.T) {
	var k formKeys
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	id, release := k.claim("u1|key", now)
	if id != "" || release == nil {
		t.Fatalf("first claim: %q %v", id, release == nil)
	}
	var wg sync.WaitGroup
	got := make([]string, 3)
	for i := range got {
		wg.Go(func() {
			id, rel := k.claim("u1|key", now)
			if rel != nil {
				rel("")
				id = "second save"
			}
			got[i] = id
		})
	}
	time.Sleep(20 * time.Millisecond) // let them wait on the first
	release("20261126000001")
	wg.Wait()
	for i, id := range got {
		if id != "20261126000001" {
			t.Errorf("concurrent post %d: %q, want the first post's case", i, id)
		}
	}
	if id, rel := k.claim("u2|key", now); id != "" || rel == nil {
		t.Errorf("another user's key is another form: %q", id)
	} else {
		rel("")
		if id, rel := k.claim("u2|key", now); id != "" || rel == nil {
			t.Error("a form whose save failed cannot be sent again")
		}
	}
	if id, rel := k.claim("u1|key", now.Add(formKeyTTL+time.Minute)); id != "" || rel == nil {
		t.Errorf("a key older than a day still answers %q", id)
	}
}

func TestAmountFen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3599", 359900, true}, {"3599.5", 359950, true}, {"3,599.50", 359950, true}, {"￥12.05", 1205, true},
		{"12元", 1200, true}, {"0", 0, true}, {"1.234", 0, false}, {"-5", 0, false}, {"三千", 0, false}, {"1.", 0, false},
		{"", 0, false}, {"1e5", 0, false},
	} {
		got, ok := amountFen(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("amountFen(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
