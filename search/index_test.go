package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"

	"weiquan"
)

func TestOpenMissingIndexNeedsRebuild(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"directory does not exist", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }},
		{"directory is empty", func(t *testing.T) string { return t.TempDir() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.dir(t), testOptions())
			if !errors.Is(err, ErrNeedsRebuild) {
				t.Fatalf("Open: got %v, want ErrNeedsRebuild", err)
			}
		})
	}
}

func TestOpenRejectsShortPhoneKey(t *testing.T) {
	_, err := Open(t.TempDir(), Options{PhoneKey: []byte("short")})
	if err == nil || errors.Is(err, ErrNeedsRebuild) {
		t.Fatalf("Open with a 5-byte key: got %v, want a configuration error", err)
	}
}

func TestOpenAnIndexInUseIsNotDamage(t *testing.T) {
	ix, dir := newTestIndex(t, sampleCases(5, 12))
	start := time.Now()
	second, err := Open(dir, testOptions())
	if err == nil {
		_ = second.Close()
		t.Fatal("a second Open of an index in use succeeded")
	}
	if errors.Is(err, ErrNeedsRebuild) {
		t.Fatalf("an index in use reported as needing a rebuild: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second Open took %s to fail", d)
	}
	if _, err := Rebuild(context.Background(), dir, testOptions(), Source{}); err == nil {
		t.Error("Rebuild replaced an index in use")
	}
	if n, err := ix.DocCount(); err != nil || n != 5 {
		t.Errorf("the open index is disturbed: %d, %v", n, err)
	}
}

func TestReopenKeepsCasesCheckpointAndVersions(t *testing.T) {
	ctx := context.Background()
	cases := sampleCases(50, 1)
	ix, dir := newTestIndex(t, cases)
	if err := ix.Apply(ctx, Changes{Cases: []*weiquan.Case{withVersion(cases[0], 9)}, Checkpoint: "feed-42"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ix, err := Open(dir, testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() { _ = ix.Close() }()
	if n, err := ix.DocCount(); err != nil || n != 50 {
		t.Errorf("DocCount = %d, %v; want 50", n, err)
	}
	if cp, err := ix.Checkpoint(); err != nil || cp != "feed-42" {
		t.Errorf("Checkpoint = %q, %v; want feed-42", cp, err)
	}
	if v, ok, err := ix.IndexedVersion(cases[0].ID); err != nil || !ok || v != 9 {
		t.Errorf("IndexedVersion(%s) = %d, %v, %v; want 9", cases[0].ID, v, ok, err)
	}
	if v, ok, err := ix.IndexedVersion(cases[1].ID); err != nil || !ok || v != cases[1].Version {
		t.Errorf("IndexedVersion(%s) = %d, %v, %v; want %d", cases[1].ID, v, ok, err, cases[1].Version)
	}
	if _, ok, err := ix.IndexedVersion("20990101000001"); err != nil || ok {
		t.Errorf("IndexedVersion of an unknown case: ok=%v, %v; want not found", ok, err)
	}
}

func withVersion(c *weiquan.Case, v int64) *weiquan.Case {
	cp := *c
	cp.Version = v
	return &cp
}

// closedIndex builds a small index and closes it, for tests that damage it.
func closedIndex(t *testing.T) string {
	t.Helper()
	ix, dir := newTestIndex(t, sampleCases(300, 2))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no segment files in %s: %v", dir, err)
	}
	return files
}

// setInternal changes a key of a closed index behind this package's back,
// the way an index written by another version of the program differs.
func setInternal(t *testing.T, dir string, key []byte, val string) {
	t.Helper()
	b, err := bleve.OpenUsing(dir, scorchConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetInternal(key, []byte(val)); err != nil {
		t.Fatal(err)
	}
	if err := persist(b, []byte("test"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDetectsDamageAndChanges(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		opts   func() Options
	}{
		{"a byte flipped in a segment", func(t *testing.T, dir string) {
			f := segmentFiles(t, dir)[0]
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x5a
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"a segment truncated", func(t *testing.T, dir string) {
			f := segmentFiles(t, dir)[0]
			st, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(f, st.Size()/3); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"a segment deleted", func(t *testing.T, dir string) {
			if err := os.Remove(segmentFiles(t, dir)[0]); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"root file deleted", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "store", "root.bolt")); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"root file overwritten", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "store", "root.bolt"), bytes.Repeat([]byte{0xab}, 8192), 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"index metadata garbled", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"mapping version changed", func(t *testing.T, dir string) {
			setInternal(t, dir, keyMappingVersion, fmt.Sprint(MappingVersion-1))
		}, nil},
		{"mapping changed without a version bump", func(t *testing.T, dir string) {
			setInternal(t, dir, keyMappingDigest, "0000")
		}, nil},
		{"phone key changed", func(*testing.T, string) {}, func() Options {
			o := testOptions()
			o.PhoneKey = []byte("another-phone-key-0123456789")
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := closedIndex(t)
			tt.damage(t, dir)
			opts := testOptions()
			if tt.opts != nil {
				opts = tt.opts()
			}
			ix, err := Open(dir, opts)
			if err == nil {
				_ = ix.Close()
				t.Fatal("Open succeeded on a damaged or changed index")
			}
			var re *RebuildError
			if !errors.Is(err, ErrNeedsRebuild) || !errors.As(err, &re) {
				t.Fatalf("Open: got %v, want ErrNeedsRebuild", err)
			}
			t.Logf("reason: %v", err)

			// The remedy works: a rebuild in place, then a clean open.
			ix, err = Rebuild(context.Background(), dir, opts, Source{Cases: casesSeq(sampleCases(10, 3))})
			if err != nil {
				t.Fatalf("Rebuild after damage: %v", err)
			}
			if n, _ := ix.DocCount(); n != 10 {
				t.Errorf("rebuilt index has %d cases, want 10", n)
			}
			_ = ix.Close()
		})
	}
}

func TestRebuildReplacesOnlyWhenComplete(t *testing.T) {
	ctx := context.Background()
	ix, dir := newTestIndex(t, sampleCases(20, 4))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("a failing source leaves the old index", func(t *testing.T) {
		boom := errors.New("store went away")
		failing := func(yield func(*weiquan.Case, error) bool) {
			for _, c := range sampleCases(5, 5) {
				if !yield(c, nil) {
					return
				}
			}
			yield(nil, boom)
		}
		if _, err := Rebuild(ctx, dir, testOptions(), Source{Cases: failing}); !errors.Is(err, boom) {
			t.Fatalf("Rebuild: got %v, want the source's error", err)
		}
		ix, err := Open(dir, testOptions())
		if err != nil {
			t.Fatalf("Open after a failed rebuild: %v", err)
		}
		if n, _ := ix.DocCount(); n != 20 {
			t.Errorf("old index has %d cases, want 20", n)
		}
		_ = ix.Close()
		if _, err := os.Stat(dir + ".rebuild"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the partial rebuild was left behind: %v", err)
		}
	})

	t.Run("a leftover partial rebuild is cleared", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(dir+".rebuild", "store"), 0o700); err != nil {
			t.Fatal(err)
		}
		ix, err := Rebuild(ctx, dir, testOptions(), Source{Checkpoint: "cp-7", Cases: casesSeq(sampleCases(7, 6))})
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		defer func() { _ = ix.Close() }()
		if n, _ := ix.DocCount(); n != 7 {
			t.Errorf("rebuilt index has %d cases, want 7", n)
		}
		if cp, _ := ix.Checkpoint(); cp != "cp-7" {
			t.Errorf("Checkpoint = %q, want cp-7", cp)
		}
	})

	t.Run("refuses to replace a directory that is not an index", func(t *testing.T) {
		other := t.TempDir()
		keep := filepath.Join(other, "cases.sqlite")
		if err := os.WriteFile(keep, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Rebuild(ctx, other, testOptions(), Source{}); err == nil {
			t.Fatal("Rebuild replaced a directory holding other data")
		}
		if _, err := os.Stat(keep); err != nil {
			t.Fatalf("the other data is gone: %v", err)
		}
	})

	t.Run("an empty store gives an empty index", func(t *testing.T) {
		ix, err := Rebuild(ctx, filepath.Join(t.TempDir(), "empty"), testOptions(), Source{})
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		defer func() { _ = ix.Close() }()
		res, err := ix.Search(ctx, Query{Text: "空调", Facets: true})
		if err != nil || res.Total != 0 || len(res.Items) != 0 {
			t.Errorf("Search on an empty index = %+v, %v", res, err)
		}
	})
}

func TestRebuildReportsProgress(t *testing.T) {
	var last Progress
	calls := 0
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := Rebuild(context.Background(), dir, testOptions(), Source{
		Cases:    casesSeq(sampleCases(rebuildBatch+10, 7)),
		Progress: func(p Progress) { last = p; calls++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ix.Close() }()
	if calls != 2 || last.Indexed != rebuildBatch+10 || last.Rate() <= 0 {
		t.Errorf("progress: %d calls, last %+v (rate %.0f); want 2 calls ending at %d", calls, last, last.Rate(), rebuildBatch+10)
	}
}

func TestIndexCasesKeepsTheNewestVersion(t *testing.T) {
	ctx := context.Background()
	base := sampleCases(3, 8)
	ix, _ := newTestIndex(t, nil)
	v := func(c *weiquan.Case, version int64, title string) *weiquan.Case {
		cp := withVersion(c, version)
		cp.Title = title
		return cp
	}
	steps := []struct {
		name      string
		batch     []*weiquan.Case
		wantV     int64
		wantTitle string
	}{
		{"first version", []*weiquan.Case{v(base[0], 2, "第二版")}, 2, "第二版"},
		{"an older version is ignored", []*weiquan.Case{v(base[0], 1, "第一版")}, 2, "第二版"},
		{"the same version again is applied", []*weiquan.Case{v(base[0], 2, "第二版重放")}, 2, "第二版重放"},
		{"the newest of one batch wins whatever the order", []*weiquan.Case{v(base[0], 5, "第五版"), v(base[0], 4, "第四版"), v(base[0], 3, "第三版")}, 5, "第五版"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := ix.IndexCases(ctx, s.batch); err != nil {
				t.Fatal(err)
			}
			got, ok, err := ix.IndexedVersion(base[0].ID)
			if err != nil || !ok || got != s.wantV {
				t.Fatalf("IndexedVersion = %d, %v, %v; want %d", got, ok, err, s.wantV)
			}
			res, err := ix.Search(ctx, Query{Text: base[0].ID})
			if err != nil || len(res.Items) != 1 {
				t.Fatalf("Search by id: %+v, %v", res, err)
			}
			if res.Items[0].Title != s.wantTitle || res.Items[0].Version != s.wantV {
				t.Errorf("indexed title %q version %d, want %q %d", res.Items[0].Title, res.Items[0].Version, s.wantTitle, s.wantV)
			}
		})
	}
	t.Run("delete", func(t *testing.T) {
		if err := ix.Delete(ctx, base[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := ix.IndexedVersion(base[0].ID); err != nil || ok {
			t.Errorf("after Delete: ok=%v, %v", ok, err)
		}
	})
	t.Run("a case without an id is refused", func(t *testing.T) {
		if err := ix.IndexCases(ctx, []*weiquan.Case{{Version: 1}}); err == nil {
			t.Error("IndexCases accepted a case without an id")
		}
	})
}

func TestIndexedVersionsInBulk(t *testing.T) {
	cases := sampleCases(40, 9)
	ix, _ := newTestIndex(t, cases)
	ask := []string{cases[0].ID, cases[39].ID, "20990101000001"}
	got, err := ix.IndexedVersions(context.Background(), ask)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{cases[0].ID: cases[0].Version, cases[39].ID: cases[39].Version}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("IndexedVersions = %v, want %v", got, want)
	}
}

func TestWaitForVersion(t *testing.T) {
	ctx := context.Background()
	cases := sampleCases(1, 10)
	ix, _ := newTestIndex(t, cases)
	c := cases[0]

	t.Run("already there", func(t *testing.T) {
		if err := ix.WaitForVersion(ctx, c.ID, c.Version); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("arrives while waiting", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			done <- ix.WaitForVersion(ctx, c.ID, c.Version+1)
		}()
		time.Sleep(20 * time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("returned before the version was indexed: %v", err)
		default:
		}
		if err := ix.IndexCases(ctx, []*weiquan.Case{withVersion(c, c.Version+1)}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("WaitForVersion: %v", err)
		}
	})
	t.Run("gives up when the context ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		err := ix.WaitForVersion(ctx, c.ID, c.Version+10)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
	})
}

// The phone number must not be recoverable from the index: not from its
// files, not from its term dictionaries, not from stored fields, even where
// someone typed it into the description or a note.
func TestPhoneNumberNeverInIndex(t *testing.T) {
	ctx := context.Background()
	cases := sampleCases(30, 11)
	target := cases[0]
	target.Complainant.Phone = "13952816407"
	target.Source.CallerNumber = "0591-83726154"
	target.Description += "，回电13952816407或0591-83726154，也可打139 5281 6407"
	target.Events = append(target.Events, weiquan.Event{Seq: 2, Note: "已电话联系13952816407，0591 8372 6154 无人接听"})
	ix, dir := newTestIndex(t, cases)

	t.Run("lookup by the full number", func(t *testing.T) {
		for _, typed := range []string{"13952816407", "139 5281 6407", "+86 139-5281-6407", "１３９５２８１６４０７"} {
			res, err := ix.Search(ctx, Query{Phone: typed})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(res.Items)) != fmt.Sprint([]string{target.ID}) {
				t.Errorf("Phone %q found %v, want [%s]", typed, ids(res.Items), target.ID)
			}
			if len(res.Items) == 1 && res.Items[0].PhoneMasked != "*******6407" {
				t.Errorf("PhoneMasked = %q", res.Items[0].PhoneMasked)
			}
		}
	})
	t.Run("lookup by the caller's number", func(t *testing.T) {
		res, err := ix.Search(ctx, Query{Phone: "0591 83726154"})
		if err != nil || fmt.Sprint(ids(res.Items)) != fmt.Sprint([]string{target.ID}) {
			t.Errorf("caller number found %v, %v", ids(res.Items), err)
		}
	})
	t.Run("free text that is a phone number", func(t *testing.T) {
		res, err := ix.Search(ctx, Query{Text: "13952816407"})
		if err != nil || len(res.Items) != 1 || res.Items[0].ID != target.ID {
			t.Errorf("Text phone found %v, %v", ids(res.Items), err)
		}
	})
	t.Run("another number finds nothing", func(t *testing.T) {
		res, err := ix.Search(ctx, Query{Phone: "13952816408"})
		if err != nil || res.Total != 0 {
			t.Errorf("found %v, %v", ids(res.Items), err)
		}
	})
	t.Run("a phone without digits is refused", func(t *testing.T) {
		_, err := ix.Search(ctx, Query{Phone: "无"})
		if weiquan.ErrorCode(err) != weiquan.EInvalid {
			t.Errorf("got %v, want %s", err, weiquan.EInvalid)
		}
	})

	secrets := []string{"13952816407", "9528164", "83726154", "059183726154", "8372 6154", "5281 6407"}
	t.Run("stored fields and term dictionaries", func(t *testing.T) {
		for _, c := range cases {
			doc, err := ix.idx.Document(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			doc.VisitFields(func(f index.Field) {
				for _, s := range secrets {
					if strings.Contains(string(f.Value()), s) {
						t.Errorf("case %s: stored field %s holds %q: %q", c.ID, f.Name(), s, f.Value())
					}
				}
			})
		}
		fields, err := ix.idx.Fields()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			dict, err := ix.idx.FieldDict(f)
			if err != nil {
				t.Fatal(err)
			}
			for {
				e, err := dict.Next()
				if err != nil {
					t.Fatal(err)
				}
				if e == nil {
					break
				}
				for _, s := range secrets {
					if strings.Contains(e.Term, s) {
						t.Errorf("field %s has the term %q", f, e.Term)
					}
				}
			}
			_ = dict.Close()
		}
		res, err := ix.Search(ctx, Query{Text: target.ID})
		if err != nil || len(res.Items) != 1 {
			t.Fatal(err)
		}
	})
	t.Run("index files", func(t *testing.T) {
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q", path, s)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestRebuildPutsTheGCTargetBack: rebuilds at the same time raise the
// collector's target once, and the last to finish restores it.
func TestRebuildPutsTheGCTargetBack(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	a, b := relaxGC(), relaxGC()
	if got := debug.SetGCPercent(rebuildGCPercent); got != rebuildGCPercent {
		t.Errorf("during two rebuilds the target is %d, want %d", got, rebuildGCPercent)
	}
	a()
	if got := debug.SetGCPercent(rebuildGCPercent); got != rebuildGCPercent {
		t.Errorf("one rebuild still running: target %d, want %d", got, rebuildGCPercent)
	}
	b()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after both rebuilds the target is %d, want 100", got)
	}
	debug.SetGCPercent(-1)
	relaxGC()()
	if got := debug.SetGCPercent(100); got != -1 {
		t.Errorf("a collector turned off was turned on: %d", got)
	}
}
