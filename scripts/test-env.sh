# Sourced by the Makefile: points the tests at local PostgreSQL and NATS
# servers when the caller has not chosen any and they answer, and says
# which tests will be skipped for want of something (test_env_notes prints
# that again after the run, where it is seen).
if [ -z "${ALMANAC_TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
	&& pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
	export ALMANAC_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
fi
if [ -z "${ALMANAC_TEST_NATS_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
	export ALMANAC_TEST_NATS_URL="nats://127.0.0.1:4222"
fi

test_env_skips=""
test_env_skip() { test_env_skips="${test_env_skips}  skipped: $1
"; }
if [ -z "${ALMANAC_TEST_DATABASE_URL:-}" ]; then
	test_env_skip "the PostgreSQL tests: no server answers on 127.0.0.1:5432 (set ALMANAC_TEST_DATABASE_URL)"
fi
if [ -z "${ALMANAC_TEST_NATS_URL:-}" ]; then
	test_env_skip "the external NATS tests: no server answers on 127.0.0.1:4222 (set ALMANAC_TEST_NATS_URL)"
fi
# The browser test (web TestBrowser) needs Node.js, Debian's Chromium and
# the web client's npm packages.
if ! command -v node >/dev/null 2>&1; then
	test_env_skip "the browser test (go test ./web): Node.js is not installed (apt-get install nodejs npm)"
elif [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	test_env_skip "the browser test (go test ./web): no ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"
elif [ ! -d web/node_modules/playwright-core ]; then
	test_env_skip "the browser test (go test ./web): web/node_modules is missing (run: cd web && npm ci)"
fi

test_env_notes() {
	[ -n "$test_env_skips" ] || return 0
	printf 'note: some tests were skipped:\n%s' "$test_env_skips" >&2
	echo "note: .ci/run installs and starts everything the tests use" >&2
}
test_env_notes
