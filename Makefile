# make test: what CI runs and what a developer runs before pushing.
GO ?= go

.PHONY: test vet unit fuzz bench build

test: vet unit

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

unit:
	$(GO) test -race -timeout 14m ./...

# Short, fixed-time fuzz runs: the intake decoder and validator; sign-in
# credentials (session cookie, bearer header, API token, CSRF token).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeIntake$$' -fuzztime 20s ./workflow
	$(GO) test -run '^$$' -fuzz '^FuzzCredentials$$' -fuzztime 15s ./handlers

# Benchmarks whose figures go into BENCHMARKS.md (not part of make test).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./cmd/weiquan

build:
	$(GO) build -o weiquan ./cmd/weiquan
