package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

var formKeyT0 = time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

// claimForm is ClaimFormKey failing the test on an error.
func claimForm(t *testing.T, st *store.Store, key string, now time.Time) (caseID, token string) {
	t.Helper()
	caseID, token, err := st.ClaimFormKey(context.Background(), key, now)
	if err != nil {
		t.Fatalf("claim %s: %v", key, err)
	}
	return caseID, token
}

// A key goes from claimed to saved; a post while it is claimed is told to
// wait, one after it is saved gets the case; a key freed by a post that
// saved nothing can be claimed again; only the claim's own token records or
// frees it.
func TestFormKeyClaimRecordRelease(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := formKeyT0

	id, tok := claimForm(t, st, "u1|form", now)
	if id != "" || tok == "" {
		t.Fatalf("first claim: case %q token %q, want a token", id, tok)
	}
	if id, tok2 := claimForm(t, st, "u1|form", now.Add(time.Second)); id != "" || tok2 != "" {
		t.Errorf("claim while saving: case %q token %q, want neither (wait)", id, tok2)
	}
	if err := st.RecordFormKey(ctx, "u1|form", "not-the-token", "20261126000009"); weiquan.ErrorCode(err) != weiquan.EConflict {
		t.Errorf("record with another token: %v, want a conflict", err)
	}
	if err := st.ReleaseFormKey(ctx, "u1|form", "not-the-token"); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordFormKey(ctx, "u1|form", tok, "20261126000001"); err != nil {
		t.Fatal(err)
	}
	if id, tok2 := claimForm(t, st, "u1|form", now.Add(time.Minute)); id != "20261126000001" || tok2 != "" {
		t.Errorf("claim after the save: case %q token %q, want the saved case", id, tok2)
	}
	// A late release by the post that saved changes nothing.
	if err := st.ReleaseFormKey(ctx, "u1|form", tok); err != nil {
		t.Fatal(err)
	}
	if id, found, err := st.FormKeyCase(ctx, "u1|form"); err != nil || !found || id != "20261126000001" {
		t.Errorf("key after a late release: %q %v %v, want the saved case", id, found, err)
	}

	_, tok = claimForm(t, st, "u2|form", now)
	if tok == "" {
		t.Fatal("another user's key is another form, but it could not be claimed")
	}
	if err := st.ReleaseFormKey(ctx, "u2|form", tok); err != nil {
		t.Fatal(err)
	}
	if _, found, err := st.FormKeyCase(ctx, "u2|form"); err != nil || found {
		t.Errorf("released key still stored: %v %v", found, err)
	}
	if id, tok := claimForm(t, st, "u2|form", now.Add(time.Second)); id != "" || tok == "" {
		t.Errorf("a form whose save failed cannot be sent again: case %q token %q", id, tok)
	}
}

// Posts of one form at the same moment: exactly one may save it.
func TestFormKeyClaimIsAtomic(t *testing.T) {
	st := storetest.New(t)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := 0
	for range n {
		wg.Go(func() {
			_, tok, err := st.ClaimFormKey(context.Background(), "public|form", formKeyT0)
			if err != nil {
				t.Error(err)
				return
			}
			if tok != "" {
				mu.Lock()
				tokens++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if tokens != 1 {
		t.Errorf("%d of %d simultaneous posts of one form may save it, want 1", tokens, n)
	}
}

// A key is remembered for a day: after it the form counts as new, and a
// later claim deletes the old keys.
func TestFormKeyExpires(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	_, tok := claimForm(t, st, "u1|old", formKeyT0)
	if err := st.RecordFormKey(ctx, "u1|old", tok, "20261126000001"); err != nil {
		t.Fatal(err)
	}
	if id, _ := claimForm(t, st, "u1|old", formKeyT0.Add(store.FormKeyTTL-time.Minute)); id != "20261126000001" {
		t.Errorf("key within its day: case %q, want the saved case", id)
	}
	if id, tok := claimForm(t, st, "u1|old", formKeyT0.Add(store.FormKeyTTL+time.Minute)); id != "" || tok == "" {
		t.Errorf("key older than a day: case %q token %q, want a fresh claim", id, tok)
	}

	_, tok = claimForm(t, st, "u1|gone", formKeyT0)
	if err := st.RecordFormKey(ctx, "u1|gone", tok, "20261126000002"); err != nil {
		t.Fatal(err)
	}
	claimForm(t, st, "u1|other", formKeyT0.Add(store.FormKeyTTL+2*time.Hour))
	if _, found, err := st.FormKeyCase(ctx, "u1|gone"); err != nil || found {
		t.Errorf("a key older than a day is still stored after a later claim: %v %v", found, err)
	}
	if _, found, err := st.FormKeyCase(ctx, "u1|other"); err != nil || !found {
		t.Errorf("the new key is not stored: %v %v", found, err)
	}
}

// A claim whose post died without a word is taken over after
// FormKeyClaimTimeout, by one post only; the dead post's token no longer
// counts.
func TestFormKeyTakeover(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	_, dead := claimForm(t, st, "u1|form", formKeyT0)
	if id, tok := claimForm(t, st, "u1|form", formKeyT0.Add(store.FormKeyClaimTimeout-time.Second)); id != "" || tok != "" {
		t.Errorf("claim before the timeout: case %q token %q, want a wait", id, tok)
	}
	later := formKeyT0.Add(store.FormKeyClaimTimeout + time.Second)
	const n = 8
	var wg sync.WaitGroup
	tokens := make(chan string, n)
	for range n {
		wg.Go(func() {
			_, tok, err := st.ClaimFormKey(ctx, "u1|form", later)
			if err != nil {
				t.Error(err)
				return
			}
			if tok != "" {
				tokens <- tok
			}
		})
	}
	wg.Wait()
	close(tokens)
	var won []string
	for tok := range tokens {
		won = append(won, tok)
	}
	if len(won) != 1 || won[0] == dead {
		t.Fatalf("%d of %d late posts took the key over, want 1 with a new token", len(won), n)
	}
	if err := st.RecordFormKey(ctx, "u1|form", dead, "20261126000001"); weiquan.ErrorCode(err) != weiquan.EConflict {
		t.Errorf("the dead claim recorded a case: %v, want a conflict", err)
	}
	if err := st.ReleaseFormKey(ctx, "u1|form", dead); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordFormKey(ctx, "u1|form", won[0], "20261126000002"); err != nil {
		t.Errorf("the new claim cannot record its case: %v", err)
	}
	if id, _ := claimForm(t, st, "u1|form", later.Add(time.Second)); id != "20261126000002" {
		t.Errorf("after the takeover: case %q, want the new claim's", id)
	}
}

// A post that saved its case and died before noting it: the case carries
// the key, so the claim is not taken over but given that case.
func TestFormKeyTakeoverFindsSavedCase(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	_, dead := claimForm(t, st, "public|form", formKeyT0)
	for _, key := range []string{"public|another", "public|form"} {
		c := &weiquan.Case{Kind: weiquan.KindComplaint, Version: 1, CreatedAt: formKeyT0, UpdatedAt: formKeyT0,
			Source: weiquan.Source{Type: "web", FormKey: key}}
		if err := st.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	want := "20261126000002"
	if id, tok := claimForm(t, st, "public|form", formKeyT0.Add(store.FormKeyClaimTimeout+time.Second)); id != want || tok != "" {
		t.Errorf("claim after the saving post died: case %q token %q, want the case it saved %s", id, tok, want)
	}
	if err := st.ReleaseFormKey(ctx, "public|form", dead); err != nil {
		t.Fatal(err)
	}
	if id, found, err := st.FormKeyCase(ctx, "public|form"); err != nil || id != want {
		t.Errorf("key after the takeover: %q %v %v, want %s", id, found, err, want)
	}
	if c, err := st.GetCase(ctx, want); err != nil || c.Source.FormKey != "public|form" {
		t.Errorf("the case's form key is not kept: %+v %v", c, err)
	}
}
