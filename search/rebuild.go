package search

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"go.etcd.io/bbolt"

	"weiquan"
)

// Source is what Rebuild reads: every case of the store, and the change-feed
// position taken before the scan began, so that changes made during the scan
// are replayed afterwards (the version check makes replaying harmless).
type Source struct {
	Checkpoint string
	Cases      iter.Seq2[*weiquan.Case, error]
	// Progress, if set, is called after each batch.
	Progress func(Progress)
}

// Progress of a rebuild.
type Progress struct {
	Indexed int
	Elapsed time.Duration
}

// Rate is the number of cases indexed per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Indexed) / p.Elapsed.Seconds()
}

// rebuildBatch is the number of cases per batch: large enough that the
// per-batch segment and merge work is spread over many cases, small enough
// that a batch's analysed form stays at a few tens of megabytes.
const rebuildBatch = 2000

// Rebuild builds a new index from src in a directory beside dir and, once it
// is complete and on disk, puts it in place of dir and opens it. Until then
// dir is left as it was, so a crash part-way loses nothing: the next start
// finds the old index (or none) and rebuilds again. A leftover directory of
// an interrupted rebuild is removed first.
func Rebuild(ctx context.Context, dir string, opts Options, src Source) (*Index, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	dir = filepath.Clean(dir)
	if err := replaceable(dir); err != nil {
		return nil, err
	}
	tmp := dir + ".rebuild"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("search: removing leftover %s: %w", tmp, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return nil, fmt.Errorf("search: creating parent of %s: %w", dir, err)
	}
	ix, err := create(tmp, opts, "")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Index, error) {
		_ = ix.idx.Close()
		_ = os.RemoveAll(tmp)
		return nil, err
	}

	defer relaxGC()()
	start := time.Now()
	n, err := ix.bulkLoad(ctx, src)
	if err != nil {
		return fail(err)
	}
	// One segment answers faster than the dozens a bulk load leaves, and is
	// smaller: the merge is part of the rebuild, not left to the first hours
	// of serving.
	loaded := time.Since(start)
	if err := ix.forceMerge(ctx); err != nil {
		return fail(err)
	}
	if err := ix.SetCheckpoint(ctx, src.Checkpoint); err != nil {
		return fail(err)
	}
	if err := ix.Close(); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	opts.Logger.Info("search index rebuilt", "dir", dir, "cases", n,
		"seconds", time.Since(start).Round(time.Millisecond).Seconds(), "load_seconds", loaded.Round(time.Millisecond).Seconds(),
		"rate", math.Round(Progress{Indexed: n, Elapsed: time.Since(start)}.Rate()))

	old := dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return nil, fmt.Errorf("search: removing %s: %w", old, err)
	}
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return nil, fmt.Errorf("search: moving old index aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("search: moving rebuilt index into place: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		opts.Logger.Warn("search: removing the old index failed", "dir", old, "err", err)
	}
	return Open(dir, opts)
}

// replaceable refuses to let a rebuild replace a directory that holds
// something other than a search index (a misconfigured path pointing at the
// data directory, say): it would be deleted.
func replaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("search: reading %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if e.Name() == "index_meta.json" || (e.Name() == "store" && e.IsDir()) {
			return notInUse(dir)
		}
	}
	return fmt.Errorf("search: %s is not empty and holds no search index; refusing to replace it", dir)
}

// notInUse fails when another process has the index open: replacing it
// under a running server would leave that server on a deleted index.
func notInUse(dir string) (err error) {
	root := filepath.Join(dir, "store", "root.bolt")
	if _, err := os.Stat(root); err != nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			err = nil // a damaged root file: being replaced is what it needs
		}
	}()
	db, err := bbolt.Open(root, 0o600, &bbolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("search: index %s is open in another process; stop it before rebuilding: %w", dir, err)
	}
	if err == nil {
		_ = db.Close()
	}
	return nil
}

// bulkLoad indexes every case of src into a fresh index. bleve builds a
// batch's segment in the goroutine that calls Batch, on one core; batches go
// to one indexing goroutine per core, while this one maps the next cases.
func (ix *Index) bulkLoad(ctx context.Context, src Source) (int, error) {
	if src.Cases == nil {
		return 0, nil
	}
	start := time.Now()
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	full := make(chan *bleve.Batch)
	free := make(chan *bleve.Batch, workers+1)
	for range workers + 1 {
		free <- ix.idx.NewBatch()
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		indexed  int
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range full {
				err := ix.idx.Batch(b)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("search: rebuild batch: %w", err)
				}
				indexed += b.Size()
				p := Progress{Indexed: indexed, Elapsed: time.Since(start)}
				if src.Progress != nil && err == nil {
					src.Progress(p)
				}
				mu.Unlock()
				b.Reset()
				free <- b
			}
		}()
	}
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}

	n := 0
	var err error
	batch := <-free
	for c, cerr := range src.Cases {
		switch {
		case cerr != nil:
			err = fmt.Errorf("search: reading cases for rebuild: %w", cerr)
		case ctx.Err() != nil:
			err = ctx.Err()
		case c == nil || c.ID == "":
			err = errors.New("search: rebuild source gave a case without an id")
		}
		if err != nil {
			break
		}
		// The store yields each case once, so the version check of
		// IndexCases is not needed on a fresh index.
		if err = ix.addToBatch(batch, c); err != nil {
			err = fmt.Errorf("search: mapping case %s: %w", c.ID, err)
			break
		}
		n++
		if batch.Size() >= rebuildBatch {
			if err = failed(); err != nil {
				break
			}
			full <- batch
			batch = <-free
		}
	}
	if err == nil && batch.Size() > 0 {
		full <- batch
	}
	close(full)
	wg.Wait()
	if err == nil {
		err = failed()
	}
	return n, err
}

// rebuildGCPercent is the garbage collector's target during a bulk load.
// Building segments allocates a great deal that dies young: at the default
// of 100 the collector took about a sixth of a rebuild's CPU, and at 200 a
// rebuild of 100,000 cases ran 14% faster for 37% more peak memory
// (BENCHMARKS.md).
const rebuildGCPercent = 200

// relaxGC raises the garbage collector's target to rebuildGCPercent unless
// it is set higher or off already, and returns the function that puts it
// back. The target is the process's: rebuilds at the same time (tests) share
// one raise, and the last to finish puts it back.
func relaxGC() (restore func()) {
	gcRelax.Lock()
	defer gcRelax.Unlock()
	if gcRelax.n == 0 {
		gcRelax.old = debug.SetGCPercent(rebuildGCPercent)
		if gcRelax.old < 0 || gcRelax.old > rebuildGCPercent {
			debug.SetGCPercent(gcRelax.old)
		}
	}
	gcRelax.n++
	return func() {
		gcRelax.Lock()
		defer gcRelax.Unlock()
		if gcRelax.n--; gcRelax.n == 0 {
			debug.SetGCPercent(gcRelax.old)
		}
	}
}

var gcRelax struct {
	sync.Mutex
	n   int
	old int
}

// forceMerge merges the index into one segment.
func (ix *Index) forceMerge(ctx context.Context) error {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	if err := s.ForceMerge(ctx, nil); err != nil {
		return fmt.Errorf("search: merging index: %w", err)
	}
	return nil
}
