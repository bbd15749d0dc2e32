package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"weiquan/store/storetest"
)

// BenchmarkGetCase reads random cases by number from a store of 50,000, the
// hot path of every case page. On the embedded FerretDB it measures the
// repaired _id index: without it each read scans the table (tens of ms).
func BenchmarkGetCase(b *testing.B) {
	const cases, writers = 50_000, 4
	s := storetest.New(b)
	ctx := context.Background()

	ids := make([]string, cases)
	for i := range ids {
		ids[i] = fmt.Sprintf("20261126%06d", i+1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < cases; i += writers {
				if err := s.CreateCase(ctx, fullCase(ids[i])); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("CreateCase: %v", err)
	}

	for b.Loop() {
		id := ids[rand.IntN(cases)]
		c, err := s.GetCase(ctx, id)
		if err != nil {
			b.Fatalf("GetCase(%s): %v", id, err)
		}
		if c.ID != id {
			b.Fatalf("GetCase(%s) returned case %s", id, c.ID)
		}
	}
}
