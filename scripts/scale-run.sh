#!/usr/bin/env bash
# Measures one generated data set (docs/scaling.md): builds almanac and
# almanac-sim, serves the PostgreSQL database DATABASE_URL on a loopback
# port, runs the simulator with PROFILE against it and stops the server.
#
#	scripts/scale-run.sh DATABASE_URL [PROFILE] [almanac-sim run flags…]
#
# The server takes its other settings from ALMANAC_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/scale-run.sh DATABASE_URL [PROFILE] [almanac-sim run flags…]}
profile=${2:-cmd/almanac-sim/profiles/standard.json}
shift $(($# < 2 ? $# : 2))
port=${ALMANAC_SIM_PORT:-8181}
go build -o bin/almanac ./cmd/almanac
go build -o bin/almanac-sim ./cmd/almanac-sim
dir=$(mktemp -d)
bin/almanac serve --listen "127.0.0.1:$port" --data-dir "$dir" --database-url "$db" \
	--admin-listen "127.0.0.1:$((port + 1))" --log-level warn 2>"$dir/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
bin/almanac-sim run -url "http://127.0.0.1:$port" -config "$profile" "$@"
