package main

import (
	"fmt"
	"io"
)

// runRecur is provided by the recurrence work; until it lands the command
// reports that it is unavailable.
func runRecur(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "almanac recur: not available in this build")
	return 1
}
