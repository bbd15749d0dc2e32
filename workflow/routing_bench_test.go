package workflow

import "testing"

// BenchmarkRoute measures one routing decision with the default Fujian
// rules, averaged over the test scenarios (every track, platform shops,
// addresses still to resolve, cases that fall through every rule). Target:
// ≤ 50 µs per case.
func BenchmarkRoute(b *testing.B) {
	r := routeTestRouter(b)
	scenarios := routeScenarios(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Route(scenarios[i%len(scenarios)].c)
		i++
	}
}

// BenchmarkRouteCounty is the common case: a complaint whose respondent's
// county is known.
func BenchmarkRouteCounty(b *testing.B) {
	r := routeTestRouter(b)
	c := routeTestCase("complaint", "12315", "350203")
	b.ReportAllocs()
	for b.Loop() {
		r.Route(c)
	}
}
