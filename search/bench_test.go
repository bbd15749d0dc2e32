package search

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"weiquan"
)

// Benchmarks of the case index. WEIQUAN_BENCH_CASES sets the number of cases
// (default 20,000); their titles and descriptions are corpus reviews, their
// codes, units, dates and deadlines as in sampleCases. WEIQUAN_BENCH_DIR
// keeps the built index there between runs (it is reused when present and
// of the same size), so that a million-case index is built once:
//
//	WEIQUAN_BENCH_CASES=1000000 WEIQUAN_BENCH_DIR=/tmp/wq-bench \
//	  go test -run '^$' -bench 'BenchmarkRebuild|BenchmarkSearch' -benchtime 1x -timeout 2h ./search/
func benchCases(b *testing.B) int {
	if n, err := strconv.Atoi(os.Getenv("WEIQUAN_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// realisticCases makes n cases whose text is real consumer writing.
func realisticCases(tb testing.TB, n int) iterCases {
	reviews := loadCorpus(tb, 0)
	return iterCases{n: n, reviews: reviews}
}

// iterCases generates cases one at a time so that a million of them need
// not be in memory at once.
type iterCases struct {
	n       int
	reviews []string
}

func (it iterCases) seq(yield func(*weiquan.Case, error) bool) {
	r := rand.New(rand.NewPCG(42, 42))
	const chunk = 1000
	for start := 0; start < it.n; start += chunk {
		batch := sampleCases(min(chunk, it.n-start), uint64(start))
		for i, c := range batch {
			k := start + i
			c.ID = fmt.Sprintf("%s%06d", c.CreatedAt.Format("20060102"), k%1_000_000)
			if k >= 1_000_000 {
				c.ID = fmt.Sprintf("%s%07d", c.CreatedAt.Format("20060102"), k)
			}
			// A province's spread: about 90 county agencies, three in four
			// cases closed, a few not yet placed with a unit.
			u := countyUnits[r.IntN(len(countyUnits))]
			c.UnitID, c.Respondent.DivisionCode = u.ID, u.DivisionCode
			switch p := r.IntN(100); {
			case p < 75:
				c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeResolved
			case p < 80:
				c.Status, c.Outcome = weiquan.StatusRegistered, ""
				if p < 78 {
					c.UnitID = ""
				}
			case p < 85:
				c.Status, c.Outcome = weiquan.StatusAssigned, ""
			case p < 92:
				c.Status, c.Outcome = weiquan.StatusAccepted, ""
			case p < 98:
				c.Status, c.Outcome = weiquan.StatusMediating, ""
			default:
				c.Status, c.Outcome = weiquan.StatusVerifying, ""
			}
			title := []rune(it.reviews[r.IntN(len(it.reviews))])
			c.Title = string(title[:min(len(title), 20)])
			c.Description = it.reviews[r.IntN(len(it.reviews))]
			if !yield(c, nil) {
				return
			}
		}
	}
}

var countyUnits = func() []weiquan.Unit {
	var out []weiquan.Unit
	for _, u := range weiquan.FujianUnits() {
		if d, ok := weiquan.DivisionByCode(u.DivisionCode); ok && u.Type == weiquan.UnitAgency && d.Level == weiquan.LevelCounty {
			out = append(out, u)
		}
	}
	return out
}()

var benchIndex struct {
	sync.Mutex
	ix  *Index
	n   int
	dir string
}

// openBenchIndex builds (or reuses) the benchmark index of n cases.
func openBenchIndex(b *testing.B, n int) *Index {
	benchIndex.Lock()
	defer benchIndex.Unlock()
	if benchIndex.ix != nil && benchIndex.n == n {
		return benchIndex.ix
	}
	dir := os.Getenv("WEIQUAN_BENCH_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "weiquan-search-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	dir = filepath.Join(dir, strconv.Itoa(n))
	opts := testOptions()
	opts.Now = time.Now
	if ix, err := Open(dir, opts); err == nil {
		if c, _ := ix.DocCount(); int(c) == n {
			benchIndex.ix, benchIndex.n, benchIndex.dir = ix, n, dir
			return ix
		}
		_ = ix.Close()
	}
	start, cpu0 := time.Now(), cpuTime()
	ix, err := Rebuild(context.Background(), dir, opts, Source{Cases: realisticCases(b, n).seq})
	if err != nil {
		b.Fatal(err)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	size, _ := diskSize(dir)
	fmt.Printf("built %d cases in %s (%.0f cases/s; %.0f cases per CPU-second), %d bytes on disk (%.0f bytes/case)\n",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(n)/cpu.Seconds(), size, float64(size)/float64(n))
	benchIndex.ix, benchIndex.n, benchIndex.dir = ix, n, dir
	return ix
}

// BenchmarkRebuild measures the bulk path: cases per second and bytes per
// case on disk.
func BenchmarkRebuild(b *testing.B) {
	n := benchCases(b)
	src := realisticCases(b, n)
	b.ResetTimer()
	for range b.N {
		dir := filepath.Join(b.TempDir(), "index")
		opts := testOptions()
		if testing.Verbose() {
			opts.Logger = slog.Default()
		}
		start, cpu0 := time.Now(), cpuTime()
		ix, err := Rebuild(context.Background(), dir, opts, Source{Cases: src.seq})
		if err != nil {
			b.Fatal(err)
		}
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.ReportMetric(float64(n)/cpu.Seconds(), "cases/cpu-s")
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		size, _ := diskSize(dir)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "cases/s")
		b.ReportMetric(float64(size)/float64(n), "bytes/case")
	}
}

// BenchmarkIndexCases measures the change-feed path: 20,000 changed cases
// in batches of 100 into an index, each batch with its version check.
func BenchmarkIndexCases(b *testing.B) {
	const n, size = 20_000, 100
	src := realisticCases(b, n)
	for range b.N {
		b.StopTimer()
		ix, _ := newTestIndex(b, nil)
		batch := make([]*weiquan.Case, 0, size)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		for c := range src.seq {
			batch = append(batch, c)
			if len(batch) == size {
				if err := ix.IndexCases(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "cases/s")
		b.ReportMetric(float64(n)/(cpuTime()-cpu0).Seconds(), "cases/cpu-s")
	}
}

// BenchmarkSearch measures query latency on the benchmark index, per kind of
// query, as p50 and p99 over varied queries.
func BenchmarkSearch(b *testing.B) {
	n := benchCases(b)
	ix := openBenchIndex(b, n)
	reviews := loadCorpus(b, 5000)
	r := rand.New(rand.NewPCG(5, 6))
	// Chinese queries of 1 to 4 characters cut from real text.
	chinese := func(k int) string {
		for {
			d := []rune(reviews[r.IntN(len(reviews))])
			if len(d) < k {
				continue
			}
			i := r.IntN(len(d) - k + 1)
			if !slices.ContainsFunc(d[i:i+k], func(c rune) bool { return !isCJK(c) }) {
				return string(d[i : i+k])
			}
		}
	}
	var cities []string
	for _, d := range weiquan.Divisions {
		if d.Level == weiquan.LevelCity {
			cities = append(cities, d.Code)
		}
	}
	open := []string{"registered", "assigned", "accepted", "mediating"}
	respondents := sampleCases(200, 0) // the names and dates the indexed cases have
	kinds := []struct {
		name string
		make func() Query
	}{
		{"text 1 char + 2 filters + facets", func() Query {
			return Query{Text: chinese(1), Status: open[:2], DivisionCity: []string{cities[r.IntN(len(cities))]}, Facets: true}
		}},
		{"text 2 chars + 2 filters + facets", func() Query {
			return Query{Text: chinese(2), Status: open[:2], DivisionCity: []string{cities[r.IntN(len(cities))]}, Facets: true}
		}},
		{"text 3 chars + 2 filters + facets", func() Query {
			return Query{Text: chinese(3), Status: open[:2], DivisionCity: []string{cities[r.IntN(len(cities))]}, Facets: true}
		}},
		{"text 4 chars + 2 filters + facets", func() Query {
			return Query{Text: chinese(4), Status: open[:2], DivisionCity: []string{cities[r.IntN(len(cities))]}, Facets: true}
		}},
		{"text 2 chars, no filter", func() Query { return Query{Text: chinese(2)} }},
		{"officer queue: unit + open statuses by deadline", func() Query {
			return Query{UnitIDs: []string{countyUnits[r.IntN(len(countyUnits))].ID}, Status: open, Sort: SortDeadline}
		}},
		{"dispatcher: unplaced cases", func() Query {
			return Query{UnitIDs: []string{Unset}, Status: []string{"registered"}, Sort: SortCreated}
		}},
		{"overdue list, facets", func() Query { return Query{Overdue: true, Status: open, Sort: SortDeadline, Facets: true} }},
		// The console's duplicate search, run with every save: one
		// respondent's complaints of the last 30 days, newest first. Its
		// range over the creation time chose the step of the range fields.
		{"duplicate search: respondent, last 30 days", func() Query {
			c := respondents[r.IntN(len(respondents))]
			return Query{RespondentName: c.Respondent.Name, CreatedFrom: c.CreatedAt.AddDate(0, 0, -30), Sort: SortCreated, PageSize: 20}
		}},
		{"phone lookup", func() Query { return Query{Phone: fmt.Sprintf("13%d%08d", 5+r.IntN(5), r.IntN(100_000_000))} }},
		{"everything by created, facets", func() Query { return Query{Facets: true} }},
	}
	ctx := context.Background()
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			var lat []time.Duration
			b.ResetTimer()
			for range b.N {
				for range 50 {
					q := k.make()
					start := time.Now()
					if _, err := ix.Search(ctx, q); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
	defer func() {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			fmt.Printf("peak RSS of the process: %d MB\n", ru.Maxrss/1024)
		}
	}()
	b.Run("deep page: page 50 of a broad list", func(b *testing.B) {
		var lat []time.Duration
		for range b.N {
			q := Query{PageSize: 20}
			for page := range 50 {
				start := time.Now()
				res, err := ix.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if page == 49 {
					lat = append(lat, time.Since(start))
				}
				q.Cursor = res.NextCursor
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})
}

// BenchmarkOpen measures start-up with an existing index, checksums included.
func BenchmarkOpen(b *testing.B) {
	n := benchCases(b)
	ix := openBenchIndex(b, n)
	dir := benchIndex.dir
	if err := ix.Close(); err != nil {
		b.Fatal(err)
	}
	benchIndex.ix = nil
	b.ResetTimer()
	for range b.N {
		ix, err := Open(dir, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// cpuTime is the CPU time this process has used: on a shared machine it
// says what the work cost when the wall-clock rate says mostly how busy the
// neighbours were.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
