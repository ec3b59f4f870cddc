# Sourced by the Makefile: points the tests at local PostgreSQL and NATS
# servers when the caller has not chosen any and they answer.
if [ -z "${ALMANAC_TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
	&& pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
	export ALMANAC_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
fi
if [ -z "${ALMANAC_TEST_NATS_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
	export ALMANAC_TEST_NATS_URL="nats://127.0.0.1:4222"
fi
if [ -z "${ALMANAC_TEST_DATABASE_URL:-}" ]; then
	echo "note: no PostgreSQL found; PostgreSQL tests will be skipped (set ALMANAC_TEST_DATABASE_URL)" >&2
fi
