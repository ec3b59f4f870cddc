#!/usr/bin/env bash
# Runs the third-party CalDAV suites in ../shared/suites/ against a server
# built from this checkout, on a fresh data directory (sqlite) or a fresh
# PostgreSQL database (postgres, from ALMANAC_TEST_DATABASE_URL).
#
# Usage: scripts/conformance.sh sqlite|postgres [python-caldav|vdirsyncer|caldavtester ...] [-- FILE.xml ...]
#
# Each suite's report goes to OUT/<suite>.log (OUT: $CONFORMANCE_OUT or a
# temporary folder) and its summary line to standard output; the server's
# log to OUT/server.log. Exits non-zero when the server logged a panic or
# answered 5xx. The suites' own verdicts are judged by the caller
# (caldav/interop's TestSuites) or read by a person.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
suites_dir=${ALMANAC_SUITES_DIR:-$root/../shared/suites}
store=${1:?usage: conformance.sh sqlite|postgres [suite ...]}
shift
run=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do run+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
files=("$@")
[ ${#run[@]} -gt 0 ] || run=(python-caldav vdirsyncer caldavtester)

# CalDAVTester's copy in the suites folder may lack its test files
# (scripts/tests/CalDAV/*.xml); ALMANAC_CALDAVTESTER_TESTS names a folder
# that holds them, laid over a copy of the suites.
overlay=
if [ ! -d "$suites_dir/caldavtester/scripts/tests/CalDAV" ] && [ -n "${ALMANAC_CALDAVTESTER_TESTS:-}" ]; then
	overlay=$(mktemp -d)
	cp -r "$suites_dir/." "$overlay/" && chmod -R u+w "$overlay"
	mkdir -p "$overlay/caldavtester/scripts/tests"
	cp -r "$ALMANAC_CALDAVTESTER_TESTS/." "$overlay/caldavtester/scripts/tests/"
	suites_dir=$overlay
fi

out=${CONFORMANCE_OUT:-$(mktemp -d)}
mkdir -p "$out"
data=$(mktemp -d)
bin=${ALMANAC_BIN:-$data/almanac}
[ -n "${ALMANAC_BIN:-}" ] || (cd "$root" && go build -o "$bin" ./cmd/almanac)

env=(ALMANAC_DATA_DIR="$data" ALMANAC_NATS_URL= ALMANAC_LOG_LEVEL=info)
db=
case "$store" in
sqlite) env+=(ALMANAC_DATABASE_URL=) ;;
postgres)
	base=${ALMANAC_TEST_DATABASE_URL:?postgres needs ALMANAC_TEST_DATABASE_URL}
	db="almanac_conf_$$_$RANDOM"
	psql "$base" -qAtc "CREATE DATABASE $db" >/dev/null
	env+=(ALMANAC_DATABASE_URL="$(printf '%s' "$base" | sed -E "s#/[^/?]*(\?|$)#/$db\1#")")
	;;
*) echo "store must be sqlite or postgres" >&2; exit 2 ;;
esac

pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "$db" ] && psql "$base" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$data" ${overlay:+"$overlay"}
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for i in $(seq -w 1 40); do
	echo "user${i}pw" | env "${env[@]}" "$bin" user add "user$i" --email "user$i@example.test" \
		--display-name "User $i" --password-stdin >/dev/null
done
env "${env[@]}" "$bin" serve --listen "127.0.0.1:$port" --log-level info >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q 'Almanac is serving on' "$out/server.log" && break
	sleep 0.1
done
url="http://127.0.0.1:$port"

status=0
for s in "${run[@]}"; do
	case "$s" in
	python-caldav) "$suites_dir/run-python-caldav.sh" "$url/dav/" user39 user39pw >"$out/$s.log" 2>&1 || true ;;
	vdirsyncer) "$suites_dir/run-vdirsyncer.sh" "$url/dav/" user40 user40pw >"$out/$s.log" 2>&1 || true ;;
	caldavtester) "$suites_dir/run-caldavtester.sh" 127.0.0.1 "$port" "${files[@]}" >"$out/$s.log" 2>&1 || true ;;
	*) echo "unknown suite $s" >&2; exit 2 ;;
	esac
	echo "$store $s: $(grep -E '[0-9]+ (passed|failed)' "$out/$s.log" | tail -1)"
done

if grep -E 'msg=panic|status=5[0-9][0-9]' "$out/server.log"; then
	echo "$store: the server logged a panic or a 5xx answer (above)"
	status=1
fi
echo "logs in $out"
exit $status
