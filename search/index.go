// Package search is the read model of the cases: a bleve (scorch) index on
// disk that answers free-text search in Chinese, the officers' queues, the
// dispatcher's and supervisors' lists and the operator's look-ups by phone
// number, case number or company. It is derived from the store and can be
// rebuilt from it at any time (Rebuild); it follows the store through
// IndexCases/Apply, with a checkpoint kept inside the index so that the feed
// resumes where the index left off.
package search

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	"go.etcd.io/bbolt"

	"weiquan"
)

// ErrNeedsRebuild is the condition Open reports when the directory holds no
// usable index: missing, unreadable or corrupt, built with another mapping
// version or another phone key. The caller rebuilds it from the store
// (Rebuild); nothing in the index is needed for that. Test with errors.Is.
var ErrNeedsRebuild = errors.New("search index needs to be rebuilt")

// RebuildError says why an index needs rebuilding.
type RebuildError struct {
	Dir    string
	Reason string
	Err    error
}

func (e *RebuildError) Error() string {
	s := fmt.Sprintf("search index %s needs to be rebuilt: %s", e.Dir, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *RebuildError) Is(target error) bool { return target == ErrNeedsRebuild }
func (e *RebuildError) Unwrap() error        { return e.Err }

// Options configure an index.
type Options struct {
	// PhoneKey keys the hash under which phone numbers are indexed. It is a
	// secret of the deployment (configuration, never the index directory);
	// at least 16 bytes. Changing it makes Open ask for a rebuild.
	PhoneKey []byte
	// Now is the clock for Query.Overdue when the query names no time.
	Now func() time.Time
	// Logger receives rebuild progress and recoveries; slog.Default if nil.
	Logger *slog.Logger
}

// Internal keys, kept in the index's own key-value store beside the
// segments and written atomically with the batch they describe.
var (
	keyMappingVersion = []byte("weiquan.mapping_version")
	keyMappingDigest  = []byte("weiquan.mapping_digest")
	keyPhoneKeyCheck  = []byte("weiquan.phone_key_check")
	keyCheckpoint     = []byte("weiquan.checkpoint")
	keyFlushed        = []byte("weiquan.flushed_at")
)

// Index is an open search index. Its methods are safe for concurrent use;
// writes are serialised so that the version check in IndexCases is exact.
type Index struct {
	dir      string
	idx      bleve.Index
	phoneKey phoneHasher
	now      func() time.Time
	// keywordAnalyzer analyses the code fields whose doc values addToBatch
	// stores differently.
	keywordAnalyzer analysis.Analyzer
	log             *slog.Logger

	writeMu sync.Mutex
	closed  bool // guarded by writeMu

	// changed is closed and replaced after every write, waking WaitForVersion.
	changedMu sync.Mutex
	changed   chan struct{}

	// readThrough, once a Follower runs, reads cases from the store for
	// WaitForVersion (see there).
	readThrough atomic.Pointer[func(ctx context.Context, ids []string) ([]*weiquan.Case, error)]
}

func (o Options) check() error {
	if len(o.PhoneKey) < 16 {
		return errors.New("search: Options.PhoneKey must be at least 16 bytes")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// mappingDigest fingerprints the mapping as bleve stores it, so that a change
// to a field's options is caught even if MappingVersion was not bumped.
func mappingDigest() (string, error) {
	b, err := json.Marshal(newMapping())
	if err != nil {
		return "", fmt.Errorf("search: encoding mapping: %w", err)
	}
	sum := sha256.Sum256(append(b, []byte(strconv.Itoa(MappingVersion))...))
	return hex.EncodeToString(sum[:]), nil
}

// keyCheck lets Open tell that the phone key changed without storing it.
func keyCheck(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("weiquan search phone key check"))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// scorchConfig: batches do not wait for their segment to reach the disk. The
// index is derived data and each batch carries its checkpoint, so a crash
// loses the last batches together with their checkpoint and the feed
// replays them; Close flushes explicitly.
//
// bolt_timeout: the root file is locked while an index is open; a second
// process opening it fails after this long instead of waiting forever.
func scorchConfig() map[string]interface{} {
	return map[string]interface{}{"unsafe_batch": true, "bolt_timeout": "2s"}
}

// Open opens the index in dir. A missing, unreadable or corrupt index, or one
// built with another MappingVersion or phone key, is reported as an error
// matching ErrNeedsRebuild (a *RebuildError saying why); Open never rebuilds
// or deletes anything itself.
func Open(dir string, opts Options) (ix *Index, err error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	need := func(reason string, cause error) error {
		return &RebuildError{Dir: dir, Reason: reason, Err: cause}
	}
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		return nil, need("no index in the directory", err)
	}
	// A damaged root file or segment can make the storage code panic rather
	// than fail; that is a corrupt index too.
	defer func() {
		if r := recover(); r != nil {
			ix, err = nil, need("opening the index failed", fmt.Errorf("panic: %v", r))
		}
	}()
	b, err := bleve.OpenUsing(dir, scorchConfig())
	if errors.Is(err, bbolt.ErrTimeout) {
		// Not damage: another process has it open. Rebuilding would replace
		// an index in use.
		return nil, fmt.Errorf("search: index %s is open in another process: %w", dir, err)
	}
	if err != nil {
		return nil, need("opening the index failed", err)
	}
	ix = newIndex(dir, b, opts)
	if err := ix.verify(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return ix, nil
}

func newIndex(dir string, b bleve.Index, opts Options) *Index {
	return &Index{
		dir:             dir,
		idx:             b,
		keywordAnalyzer: b.Mapping().AnalyzerNamed(keyword.Name),
		phoneKey:        phoneHasher(opts.PhoneKey),
		now:             opts.Now,
		log:             opts.Logger,
		changed:         make(chan struct{}),
	}
}

// verify checks that the open index is the one this code would build, and
// that every segment file it uses is intact (each carries a CRC-32 of its
// contents that the storage layer itself does not check when it opens it).
func (ix *Index) verify() error {
	need := func(reason string, cause error) error {
		return &RebuildError{Dir: ix.dir, Reason: reason, Err: cause}
	}
	get := func(key []byte) (string, error) {
		v, err := ix.idx.GetInternal(key)
		return string(v), err
	}
	v, err := get(keyMappingVersion)
	if err != nil {
		return need("reading the mapping version failed", err)
	}
	if v != strconv.Itoa(MappingVersion) {
		return need(fmt.Sprintf("mapping version %q, this program uses %d", v, MappingVersion), nil)
	}
	want, err := mappingDigest()
	if err != nil {
		return err
	}
	if d, err := get(keyMappingDigest); err != nil || d != want {
		return need("the index was built with a different field mapping", err)
	}
	if k, err := get(keyPhoneKeyCheck); err != nil || k != keyCheck(ix.phoneKey) {
		return need("the phone key differs from the one the index was built with", err)
	}
	if err := ix.verifySegments(); err != nil {
		return need("a segment file is damaged", err)
	}
	if _, err := ix.idx.DocCount(); err != nil {
		return need("counting documents failed", err)
	}
	return nil
}

// verifySegments recomputes the CRC-32 of each segment of the current
// snapshot. Reading the files costs about a second per few GB, paid once at
// start-up, against answering from a silently damaged index.
func (ix *Index) verifySegments() error {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return err
	}
	reader, err := adv.Reader()
	if err != nil {
		return err
	}
	defer func() { _ = reader.Close() }()
	snap, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("unexpected index reader %T", reader)
	}
	for _, s := range snap.Segments() {
		seg, ok := s.Segment().(interface {
			Path() string
			CRC() uint32
		})
		if !ok {
			continue // an in-memory segment: nothing on disk to check
		}
		if err := checkCRC(seg.Path(), seg.CRC()); err != nil {
			return err
		}
	}
	return nil
}

func checkCRC(path string, want uint32) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < 4 {
		return fmt.Errorf("%s: truncated", filepath.Base(path))
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size()-4)); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], st.Size()-4); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if got := h.Sum32(); got != want || binary.BigEndian.Uint32(tail[:]) != want {
		return fmt.Errorf("%s: checksum %08x, footer says %08x", filepath.Base(path), got, want)
	}
	return nil
}

// create makes a new, empty index in dir (which must not exist) stamped with
// this program's mapping version and phone key.
func create(dir string, opts Options, checkpoint string) (*Index, error) {
	b, err := bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, scorchConfig())
	if err != nil {
		return nil, fmt.Errorf("search: creating index in %s: %w", dir, err)
	}
	ix := newIndex(dir, b, opts)
	if err := ix.stamp(checkpoint); err != nil {
		_ = b.Close()
		return nil, err
	}
	return ix, nil
}

func (ix *Index) stamp(checkpoint string) error {
	digest, err := mappingDigest()
	if err != nil {
		return err
	}
	batch := ix.idx.NewBatch()
	batch.SetInternal(keyMappingVersion, []byte(strconv.Itoa(MappingVersion)))
	batch.SetInternal(keyMappingDigest, []byte(digest))
	batch.SetInternal(keyPhoneKeyCheck, []byte(keyCheck(ix.phoneKey)))
	batch.SetInternal(keyCheckpoint, []byte(checkpoint))
	if err := ix.idx.Batch(batch); err != nil {
		return fmt.Errorf("search: stamping index: %w", err)
	}
	return nil
}

// Dir is the directory of the index.
func (ix *Index) Dir() string { return ix.dir }

// Close writes what is still in memory to disk and closes the index. A
// second Close does nothing.
func (ix *Index) Close() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	ferr := ix.flushLocked(30 * time.Second)
	if err := ix.idx.Close(); err != nil {
		return fmt.Errorf("search: closing index: %w", err)
	}
	return ferr
}

// Flush waits until everything indexed so far is on disk.
func (ix *Index) Flush() error {
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if ix.closed {
		return errClosed
	}
	return ix.flushLocked(30 * time.Second)
}

var errClosed = errors.New("search: index is closed")

// flushLocked waits until everything indexed so far is on disk.
func (ix *Index) flushLocked(timeout time.Duration) error {
	return persist(ix.idx, []byte(ix.now().UTC().Format(time.RFC3339Nano)), timeout)
}

// persist sends a batch that asks to be told when it is on disk; snapshots
// are persisted in order, so everything before it is on disk too.
func persist(b bleve.Index, stamp []byte, timeout time.Duration) error {
	done := make(chan error, 1)
	batch := b.NewBatch()
	batch.SetInternal(keyFlushed, stamp)
	batch.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := b.Batch(batch); err != nil {
		return fmt.Errorf("search: flushing index: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("search: persisting index: %w", err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("search: persisting index: not done after %s", timeout)
	}
}

// Changes is one atomic update of the index: cases to (re)index, ids to
// remove and the feed position they bring the index to.
type Changes struct {
	Cases  []*weiquan.Case
	Delete []string
	// Checkpoint, when not empty, is stored with the batch: after a crash the
	// index holds either all of these changes and this checkpoint, or none.
	Checkpoint string
}

// IndexCases indexes cases in one batch. A case whose indexed version is
// newer than the one given is left alone, so a late or replayed change
// cannot overwrite a newer one.
func (ix *Index) IndexCases(ctx context.Context, cases []*weiquan.Case) error {
	return ix.Apply(ctx, Changes{Cases: cases})
}

// Delete removes cases from the index.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	return ix.Apply(ctx, Changes{Delete: ids})
}

// SetCheckpoint records the change-feed position the index has reached.
func (ix *Index) SetCheckpoint(ctx context.Context, checkpoint string) error {
	return ix.Apply(ctx, Changes{Checkpoint: checkpoint})
}

// Checkpoint is the change-feed position stored with the last batch that
// carried one ("" for an index built without one).
func (ix *Index) Checkpoint() (string, error) {
	v, err := ix.idx.GetInternal(keyCheckpoint)
	if err != nil {
		return "", fmt.Errorf("search: reading checkpoint: %w", err)
	}
	return string(v), nil
}

// Apply makes one atomic change to the index.
func (ix *Index) Apply(ctx context.Context, ch Changes) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.writeMu.Lock()
	defer ix.writeMu.Unlock()
	if ix.closed {
		return errClosed
	}

	cases := ch.Cases
	if len(cases) > 0 {
		ids := make([]string, 0, len(cases))
		for _, c := range cases {
			if c == nil || c.ID == "" {
				return errors.New("search: indexing a case without an id")
			}
			ids = append(ids, c.ID)
		}
		have, err := ix.IndexedVersions(ctx, ids)
		if err != nil {
			return err
		}
		cases = newest(cases, have)
	}
	batch := ix.idx.NewBatch()
	for _, c := range cases {
		if err := ix.addToBatch(batch, c); err != nil {
			return fmt.Errorf("search: mapping case %s: %w", c.ID, err)
		}
	}
	for _, id := range ch.Delete {
		batch.Delete(id)
	}
	if ch.Checkpoint != "" {
		batch.SetInternal(keyCheckpoint, []byte(ch.Checkpoint))
	}
	if batch.Size() == 0 {
		return nil
	}
	if err := ix.idx.Batch(batch); err != nil {
		return fmt.Errorf("search: indexing %d cases: %w", len(cases), err)
	}
	ix.changedMu.Lock()
	close(ix.changed)
	ix.changed = make(chan struct{})
	ix.changedMu.Unlock()
	return nil
}

// newest keeps, of the cases given, those newer than what the index holds,
// and of several versions of one case in the same batch only the newest.
func newest(cases []*weiquan.Case, have map[string]int64) []*weiquan.Case {
	best := make(map[string]*weiquan.Case, len(cases))
	order := make([]string, 0, len(cases))
	for _, c := range cases {
		if v, ok := have[c.ID]; ok && v > c.Version {
			continue
		}
		if b, ok := best[c.ID]; ok {
			if c.Version >= b.Version {
				best[c.ID] = c
			}
			continue
		}
		best[c.ID] = c
		order = append(order, c.ID)
	}
	out := make([]*weiquan.Case, 0, len(order))
	for _, id := range order {
		out = append(out, best[id])
	}
	return out
}

// IndexedVersion is the version of the case the index holds; ok is false
// when the case is not in the index.
func (ix *Index) IndexedVersion(id string) (version int64, ok bool, err error) {
	m, err := ix.IndexedVersions(context.Background(), []string{id})
	if err != nil {
		return 0, false, err
	}
	v, ok := m[id]
	return v, ok, nil
}

// IndexedVersions looks up the indexed version of many cases at once, for a
// reconcile pass that compares the index with the store page by page. Cases
// not in the index are absent from the map.
func (ix *Index) IndexedVersions(ctx context.Context, ids []string) (map[string]int64, error) {
	out := make(map[string]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fVersion}
	req.Score = bleve.ScoreNone
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: reading indexed versions: %w", err)
	}
	for _, h := range res.Hits {
		if f, ok := h.Fields[fVersion].(float64); ok {
			out[h.ID] = int64(f)
		}
	}
	return out, nil
}

// readThroughAfter is how long WaitForVersion leaves a case to the
// follower, which normally indexes a write within milliseconds, before it
// reads the case from the store itself.
const readThroughAfter = 200 * time.Millisecond

// WaitForVersion blocks until the index holds at least the given version of
// the case, or ctx ends: read-your-writes for the person who just changed it.
// The caller bounds the wait with ctx.
//
// When the follower has not indexed the case after readThroughAfter — it is
// working off a backlog: a reconcile, a burst of the deadline sweeper's
// alerts, many cases flagged at once — the case is read from the store and
// indexed here, ahead of the backlog; the version check makes indexing it
// twice harmless. So a person's own write is never queued behind thousands
// of others.
func (ix *Index) WaitForVersion(ctx context.Context, id string, version int64) error {
	readAt := time.After(readThroughAfter)
	for {
		ix.changedMu.Lock()
		changed := ix.changed
		ix.changedMu.Unlock()
		v, ok, err := ix.IndexedVersion(id)
		if err != nil {
			return err
		}
		if ok && v >= version {
			return nil
		}
		select {
		case <-changed:
		case <-readAt:
			readAt = nil
			if read := ix.readThrough.Load(); read != nil {
				cases, err := (*read)(ctx, []string{id})
				if err == nil {
					err = ix.Apply(ctx, Changes{Cases: cases})
				}
				if err != nil && ctx.Err() == nil {
					ix.log.Warn("search: indexing a case ahead of the feed failed", "case", id, "err", err)
				}
			}
		case <-ctx.Done():
			return fmt.Errorf("search: waiting for case %s version %d (index has %d): %w", id, version, v, ctx.Err())
		}
	}
}

// DocCount is the number of cases in the index.
func (ix *Index) DocCount() (uint64, error) {
	n, err := ix.idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: counting documents: %w", err)
	}
	return n, nil
}

// diskSize is the number of bytes the index occupies on disk.
func diskSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// unavailable is the error a person sees when the index cannot answer.
func unavailable(err error) error {
	return weiquan.WrapError(weiquan.EUnavailable, "搜索服务暂时不可用，请稍后重试", err)
}
