package storetest

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"weiquan"
)

func TestDBName(t *testing.T) {
	// The rule of FerretDB, stricter than MongoDB's.
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,63}$`)
	tests := []struct{ name, testName string }{
		{"plain", "TestUsers"},
		{"subtest", "TestUserErrors/duplicate username"},
		{"chinese", "TestCase/投诉人"},
		{"long", strings.Repeat("TestVeryLongName", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dbName(tt.testName)
			if !valid.MatchString(got) || !strings.HasPrefix(got, dbPrefix) {
				t.Errorf("dbName(%q) = %q, want %s followed by at most 63 bytes of [a-zA-Z0-9_-]", tt.testName, got, dbPrefix)
			}
			if again := dbName(tt.testName); again == got {
				t.Errorf("dbName(%q) gave %q twice, want a unique name each time", tt.testName, got)
			}
		})
	}
}

func TestNewIsolates(t *testing.T) {
	a, b := New(t), New(t)
	ctx := context.Background()
	if err := a.CreateCase(ctx, &weiquan.Case{ID: "20261126000001", Version: 1}); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	if _, err := b.GetCase(ctx, "20261126000001"); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("GetCase in another test database: %v, want %s", err, weiquan.ENotFound)
	}
}
