// Command almanac-sim builds a realistic data set and drives simulated users
// against a running server.
//
//	almanac-sim generate -db URL [-users 1000] [-events 1000] [-first 0] [-seed 1]
//	almanac-sim run -url URL [-config profiles/standard.json]
//	almanac-sim peers [-events 5000] NAME=URL[@user:pass] ...
//
// "generate" writes users, calendars, shares and events straight into the
// store (PostgreSQL or SQLite) through the same derivation and batch write
// path as an import, reproducibly from a seed: user n is the same user with
// the same events whichever run wrote it, so a data set grows by generating
// further users with -first. "run" simulates people using the web client and
// CalDAV clients on generated users and checks the latencies against the
// thresholds of a profile; it exits with status 1 when one fails. "peers"
// loads one calendar of the same events into several CalDAV servers and runs
// the CalDAV part of the mix against each, so that servers can be compared.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: almanac-sim generate|run|peers [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "generate":
		err = generate(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "peers":
		err = peers(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "almanac-sim:", err)
		os.Exit(1)
	}
}
