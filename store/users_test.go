package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

func newUser(username string) *weiquan.User {
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	return &weiquan.User{
		Username:          username,
		PasswordHash:      "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA",
		Role:              weiquan.RoleOfficer,
		UnitIDs:           []string{"amr-350103", "amr-350104"},
		CreatedAt:         at,
		PasswordChangedAt: at,
	}
}

func TestUsers(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()

	n, err := s.CountUsers(ctx)
	if err != nil || n != 0 {
		t.Fatalf("CountUsers on an empty store = %d, %v; want 0, nil", n, err)
	}
	alice := newUser("alice")
	if err := s.CreateUser(ctx, alice); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if alice.ID != store.UserID("alice") {
		t.Errorf("ID set by CreateUser = %q, want %q", alice.ID, store.UserID("alice"))
	}
	if err := s.CreateUser(ctx, newUser("bob")); err != nil {
		t.Fatalf("CreateUser bob: %v", err)
	}

	byID, err := s.GetUser(ctx, alice.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if !reflect.DeepEqual(byID, alice) {
		t.Errorf("GetUser:\n got %+v\nwant %+v", byID, alice)
	}
	byName, err := s.GetUserByUsername(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUserByUsername: %v", err)
	}
	if !reflect.DeepEqual(byName, alice) {
		t.Errorf("GetUserByUsername:\n got %+v\nwant %+v", byName, alice)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; want 2, nil", n, err)
	}

	changed := time.Date(2026, 11, 20, 9, 0, 0, 0, weiquan.Shanghai)
	if err := s.UpdateUserPassword(ctx, alice.ID, "$argon2id$new", changed); err != nil {
		t.Fatalf("UpdateUserPassword: %v", err)
	}
	got, err := s.GetUser(ctx, alice.ID)
	if err != nil {
		t.Fatalf("GetUser after password change: %v", err)
	}
	if got.PasswordHash != "$argon2id$new" || !got.PasswordChangedAt.Equal(changed) {
		t.Errorf("after UpdateUserPassword: hash %q changed at %v; want %q at %v",
			got.PasswordHash, got.PasswordChangedAt, "$argon2id$new", changed)
	}
	if got.Role != alice.Role || !reflect.DeepEqual(got.UnitIDs, alice.UnitIDs) {
		t.Errorf("UpdateUserPassword changed other fields: %+v", got)
	}
}

func TestUserErrors(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if err := s.CreateUser(ctx, newUser("alice")); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"duplicate username", func() error { return s.CreateUser(ctx, newUser("alice")) }, weiquan.EConflict},
		{"id that does not match the username", func() error {
			u := newUser("carol")
			u.ID = "u-someone-else"
			return s.CreateUser(ctx, u)
		}, weiquan.EInternal},
		{"get missing id", func() error { _, err := s.GetUser(ctx, "u-nobody"); return err }, weiquan.ENotFound},
		{"get missing username", func() error { _, err := s.GetUserByUsername(ctx, "nobody"); return err }, weiquan.ENotFound},
		{"password of missing user", func() error {
			return s.UpdateUserPassword(ctx, "u-nobody", "x", time.Now())
		}, weiquan.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := weiquan.ErrorCode(err); got != tt.want {
				t.Errorf("code %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers after failed creates = %d, %v; want 1, nil", n, err)
	}
}

func TestSessions(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	mk := func(id, user string) *weiquan.Session {
		return &weiquan.Session{ID: id, UserID: user, CreatedAt: at, LastSeenAt: at, ExpiresAt: at.Add(12 * time.Hour), Address: "10.0.0.8"}
	}
	sessions := []*weiquan.Session{mk("s1", "u-alice"), mk("s2", "u-alice"), mk("s3", "u-bob")}
	for _, sess := range sessions {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatalf("CreateSession %s: %v", sess.ID, err)
		}
	}
	if err := s.CreateSession(ctx, mk("s1", "u-bob")); weiquan.ErrorCode(err) != weiquan.EConflict {
		t.Errorf("CreateSession with a taken id: code %q (%v), want %q", weiquan.ErrorCode(err), err, weiquan.EConflict)
	}

	got, err := s.GetSession(ctx, "s1")
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if !reflect.DeepEqual(got, sessions[0]) {
		t.Errorf("GetSession:\n got %+v\nwant %+v", got, sessions[0])
	}

	seen := at.Add(time.Hour)
	if err := s.TouchSession(ctx, "s1", seen); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	if got, err := s.GetSession(ctx, "s1"); err != nil || !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(sessions[0].ExpiresAt) {
		t.Errorf("after TouchSession: %+v, %v; want last seen %v and expiry unchanged", got, err, seen)
	}
	if err := s.TouchSession(ctx, "missing", seen); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("TouchSession of a missing session: code %q (%v), want %q", weiquan.ErrorCode(err), err, weiquan.ENotFound)
	}

	if err := s.DeleteSession(ctx, "s3"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if err := s.DeleteSession(ctx, "s3"); err != nil {
		t.Errorf("DeleteSession twice: %v, want nil", err)
	}
	if err := s.DeleteUserSessions(ctx, "u-alice"); err != nil {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		if _, err := s.GetSession(ctx, id); weiquan.ErrorCode(err) != weiquan.ENotFound {
			t.Errorf("GetSession(%s) after deletion: code %q (%v), want %q", id, weiquan.ErrorCode(err), err, weiquan.ENotFound)
		}
	}
}

func TestDeleteUserSessionsKeepsOthers(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for _, sess := range []weiquan.Session{{ID: "a", UserID: "u-alice", ExpiresAt: at}, {ID: "b", UserID: "u-bob", ExpiresAt: at}} {
		if err := s.CreateSession(ctx, &sess); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	if err := s.DeleteUserSessions(ctx, "u-alice"); err != nil {
		t.Fatalf("DeleteUserSessions: %v", err)
	}
	if _, err := s.GetSession(ctx, "b"); err != nil {
		t.Errorf("GetSession of another user's session: %v, want it kept", err)
	}
}
