#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time (FUZZTIME, 5s by
# default; minimising a finding for at most FUZZMINIMIZE, 5s). A finding is
# written to the package's testdata/fuzz/ (commit it with its fix: it then
# runs as a regular test case) and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
minimize=${FUZZMINIMIZE:-5s}
status=0
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	pkg=${pkg%/.}
	echo "fuzz: $pkg $name ($fuzztime)"
	for try in 1 2 3; do
		if go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" >/tmp/fuzz.$$ 2>&1; then
			break
		fi
		# The fuzzing engine sometimes ends a run on its own deadline
		# ("context deadline exceeded") with no input at fault; a finding
		# always names the input it wrote. Only a finding, or the same
		# failure three times over, fails the run.
		if grep -q 'Failing input written to' /tmp/fuzz.$$ || ! grep -q 'context deadline exceeded' /tmp/fuzz.$$ || [ "$try" = 3 ]; then
			cat /tmp/fuzz.$$
			status=1
			break
		fi
		echo "fuzz: $pkg $name ended on the engine's deadline with no finding; again"
	done
done < <(git ls-files '*_test.go' | xargs grep -Ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/func //' | sort)
rm -f /tmp/fuzz.$$
exit $status
