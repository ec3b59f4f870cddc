// Command almanac-bench measures Almanac and prints the figures as Markdown
// tables, ready for docs/benchmarks.md.
//
//	almanac-bench store [-n 3000] [-writers 8]
//	almanac-bench stream [-url URL] [-streams 1000] [-changes 20]
//	almanac-bench index [-queries 2000]
//	almanac-bench scheduling [-local 100] [-external 100] [-updates 20]
//	almanac-bench import [-n 100000] [-batch 250]
//	almanac-bench api [-url URL] [-label SQLite] [-events 5000]
//	almanac-bench reminders [-n 100000] [-spread 1m] [-store sqlite|postgres]
//	almanac-bench search [-n 50000] [-queries 200]
//
// "store" writes single calendar objects (one PUT's worth of work: the
// object, its index rows and its change-log entry in one transaction) into
// an SQLite file and, when ALMANAC_TEST_DATABASE_URL is set, into
// PostgreSQL, sequentially and from concurrent writers. "stream" opens
// change streams on a running server and measures fan-out latency and the
// memory an idle stream costs. "index" loads 5,000 and then 50,000 events
// and times month-window instance queries at each size. "scheduling" times
// an organizer's update of a meeting with 200 attendees and the delivery
// of every local attendee's copy. "import" imports a generated export of
// n events, again, and exports it. "api" loads a user's calendars through
// the JSON API of a running server and times event creation and calendar
// views over HTTP. "reminders" loads events whose reminders come due
// within one minute and measures the lag from due time to hand-off to the
// users' open clients. "search" searches a calendar of n events by title,
// guest and word prefix through the JSON API.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: almanac-bench store|stream|index|scheduling|import|api|reminders|search [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "store":
		err = benchStore(os.Args[2:])
	case "stream":
		err = benchStream(os.Args[2:])
	case "index":
		err = benchIndex(os.Args[2:])
	case "scheduling":
		err = benchScheduling(os.Args[2:])
	case "import":
		err = benchImport(os.Args[2:])
	case "api":
		err = benchAPI(os.Args[2:])
	case "reminders":
		err = benchReminders(os.Args[2:])
	case "search":
		err = benchSearch(os.Args[2:])
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "almanac-bench:", err)
		os.Exit(1)
	}
}
