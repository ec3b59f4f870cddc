// Command almanac is the Almanac calendar server and its administration
// tool, in one binary.
package main

import (
	"fmt"
	"io"
	"os"

	_ "time/tzdata" // the IANA database travels with the binary
)

type command struct {
	name, summary string
	run           func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the server (HTTP: CalDAV, JSON API, web client)", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"user", "manage users: add, passwd, list, delete, app-password", runUser},
		{"outbox", "inspect and repair deliveries: list, stats, retry, drop", runOutbox},
		{"recur", "print the instances of an iCalendar object read on stdin", runRecur},
		{"import", "import an iCalendar file into a calendar", runImport},
		{"export", "write a calendar as an iCalendar file", runExport},
		{"secrets", "rotate the key that seals stored passwords and tokens", runSecrets},
		{"backup", "write a backup of the SQLite database and the keys to a file", runBackup},
		{"restore", "restore a backup into an empty data directory", runRestore},
		{"migrate-store", "copy everything from one store to an empty other (SQLite ⇄ PostgreSQL)", runMigrateStore},
		{"config", "check: validate the settings and reach the database, NATS, SMTP; show: print them", runConfig},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "almanac: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: almanac COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'almanac COMMAND --help' for the flags of a command. Every flag can also be")
	fmt.Fprintln(w, "set by an environment variable: --data-dir is ALMANAC_DATA_DIR, and so on.")
}
