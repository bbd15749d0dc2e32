package workflow

import (
	"fmt"
	"testing"
	"time"
)

func TestLoginThrottleForgets(t *testing.T) {
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		failures   int // by distinct usernames from one address
		after      time.Duration
		wantLocked bool
		wantUsers  int
		wantAddrs  int
	}{
		{"a few failures stay counted", 3, time.Minute, false, 3, 1},
		{"address locked after 20", 20, time.Minute, true, 20, 1},
		{"failures leave the window", 3, 16 * time.Minute, false, 0, 0},
		{"lockout ends and is forgotten", 20, 16 * time.Minute, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var th loginThrottle
			for i := 0; i < tt.failures; i++ {
				th.fail(fmt.Sprintf("ghost%d", i), "203.0.113.7", start)
			}
			got := th.locked("someone", "203.0.113.7", start.Add(tt.after))
			if got != tt.wantLocked {
				t.Errorf("locked: got %v, want %v", got, tt.wantLocked)
			}
			if len(th.byUser) != tt.wantUsers || len(th.byAddr) != tt.wantAddrs {
				t.Errorf("entries: got %d users and %d addresses, want %d and %d", len(th.byUser), len(th.byAddr), tt.wantUsers, tt.wantAddrs)
			}
		})
	}
}
