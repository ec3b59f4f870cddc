// Command almanac is the Almanac calendar server.
//
// This file is a stand-in that dispatches the recur subcommand only; it is
// replaced by the full command.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "recur" {
		os.Exit(runRecur(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	fmt.Fprintln(os.Stderr, "usage: almanac recur [flags] < object.ics")
	os.Exit(2)
}
