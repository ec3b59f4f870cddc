package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
)

func runMigrate(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac migrate", "Usage: almanac migrate [flags]\n\nApplies every pending database migration and exits.")
	s.fs.SetOutput(stderr)
	var sc storageConfig
	sc.register(s)
	if err := s.Parse(args); err != nil {
		return exitUsage(err, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := sc.open(ctx, 2)
	if err != nil {
		fmt.Fprintln(stderr, "almanac migrate:", err)
		return 1
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "almanac migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s database at schema version %d\n", st.Dialect(), v)
	return 0
}

// exitUsage reports a flag error; --help is not an error.
func exitUsage(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, err)
	return 2
}
