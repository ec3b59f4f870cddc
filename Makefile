# Almanac — see README.md.
GO ?= go
# scripts/test-env.sh probes the local servers with bash's /dev/tcp.
SHELL := /bin/bash
STATICCHECK_VERSION := v0.8.2

.PHONY: run build test test-short lint bench clean web web-test fuzz conformance

# Serve on 127.0.0.1:8080 with the embedded defaults (SQLite file and NATS in ./data).
# The binary runs directly rather than under "go run", which exits 1 when
# interrupted: Ctrl-C is a clean shutdown, and make then reports no error.
run: build
	./bin/almanac serve

build:
	$(GO) build -o bin/almanac ./cmd/almanac

# Every test. PostgreSQL and NATS tests use ALMANAC_TEST_DATABASE_URL and
# ALMANAC_TEST_NATS_URL; when they are unset and a local server answers on
# its standard port, that server is used. Tests that lack something they
# need (a server, Node.js, Chromium, web/node_modules) are skipped, and the
# skips are listed before and after the run.
test:
	@. ./scripts/test-env.sh && { $(GO) test -count=1 ./...; status=$$?; test_env_notes; exit $$status; }

# Every fuzz target for FUZZTIME each (default 5s); findings land in the
# package's testdata/fuzz/ and fail the run.
fuzz:
	@scripts/fuzz.sh

# The third-party CalDAV suites against a build (see docs/conformance.md);
# STORE=postgres for PostgreSQL.
conformance:
	@. ./scripts/test-env.sh && scripts/conformance.sh $${STORE:-sqlite}

test-short:
	$(GO) test -short ./...

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Store write benchmark (figures go to docs/benchmarks.md).
bench:
	@. ./scripts/test-env.sh && $(GO) run ./cmd/almanac-bench store

# Rebuild the web client into web/dist (committed, embedded in the binary).
# Needs Node.js 20 and npm; a Go build alone does not.
web:
	cd web && npm ci --no-audit --no-fund && npm run build

# Unit tests of the web client's TypeScript.
web-test:
	cd web && npm ci --no-audit --no-fund && npm test

clean:
	rm -rf bin
