package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/almanac/almanac/store"
)

const migrateStoreUsage = `Usage: almanac migrate-store --from SOURCE --to DESTINATION

Copies everything Almanac keeps in its database from SOURCE to DESTINATION,
each a postgres:// URL or an SQLite data directory (or its almanac.db):
users, passwords, app passwords and sessions, calendars, events byte for
byte with their ETags, the change logs behind sync tokens (clients go on
syncing without starting over), shares, subscriptions, publications,
invitations, the outbox and reminders. DESTINATION must be empty (a new
database, schema or data directory). Both are migrated to this version's
schema first. Stop the servers before, and point them at DESTINATION after.

When done it compares every table at both ends and says so.

The keys are files, not rows: the new servers need the same secret key
(DATA_DIR/secret.key, or --secret-key) and RSVP key (DATA_DIR/rsvp.key, or
--rsvp-secret). Between two data directories they are copied too.`

func runMigrateStore(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac migrate-store", migrateStoreUsage)
	s.fs.SetOutput(stderr)
	var from, to string
	s.fs.StringVar(&from, "from", "", "the store to copy: postgres:// URL or SQLite data directory")
	s.fs.StringVar(&to, "to", "", "the empty store to copy into: postgres:// URL or SQLite data directory")
	if err := s.Parse(args); err != nil {
		return exitUsage(err, stderr)
	}
	if from == "" || to == "" || len(s.fs.Args()) > 0 {
		fmt.Fprintln(stderr, migrateStoreUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := migrateStore(ctx, from, to, stdout); err != nil {
		fmt.Fprintln(stderr, "almanac migrate-store:", err)
		return 1
	}
	return 0
}

func migrateStore(ctx context.Context, from, to string, stdout io.Writer) error {
	if storeLocation(from) == storeLocation(to) {
		return errors.New("--from and --to name the same store")
	}
	src, err := openExisting(ctx, from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.Open(ctx, storeLocation(to), store.Options{MaxConns: 2})
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	var total int64
	err = store.Copy(ctx, src, dst, func(table string, n int64) {
		total += n
		fmt.Fprintf(tw, "  %s\t%d rows\n", table, n)
		_ = tw.Flush()
	})
	if err != nil {
		return err
	}
	if err := sameContent(ctx, src, dst); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d rows from %s to %s; every table matches\n", total, src.Dialect(), dst.Dialect())
	return keysAfterCopy(from, to, stdout)
}

// storeLocation turns a data directory into its database file.
func storeLocation(arg string) string {
	if strings.HasPrefix(arg, "postgres://") || strings.HasPrefix(arg, "postgresql://") || strings.HasSuffix(arg, ".db") {
		return arg
	}
	return filepath.Join(arg, "almanac.db")
}

// openExisting opens the source, refusing to make an empty SQLite file
// for a mistyped directory.
func openExisting(ctx context.Context, from string) (*store.Store, error) {
	loc := storeLocation(from)
	if !strings.Contains(loc, "://") {
		if _, err := os.Stat(loc); err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
	}
	st, err := store.Open(ctx, loc, store.Options{MaxConns: 2})
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return st, nil
}

// sameContent compares every table of the two stores.
func sameContent(ctx context.Context, a, b *store.Store) error {
	da, err := a.Digests(ctx)
	if err != nil {
		return err
	}
	db, err := b.Digests(ctx)
	if err != nil {
		return err
	}
	var differ []string
	for table, d := range da {
		if db[table] != d {
			differ = append(differ, fmt.Sprintf("%s (%d rows, copy %d)", table, d.Rows, db[table].Rows))
		}
	}
	if len(differ) > 0 {
		sort.Strings(differ)
		return fmt.Errorf("the copy differs from the source in %s: was a server writing to it?", strings.Join(differ, ", "))
	}
	return nil
}

// keysAfterCopy copies the key files between two data directories, and
// otherwise says what to do with them.
func keysAfterCopy(from, to string, stdout io.Writer) error {
	fromDir, toDir := dataDirOf(from), dataDirOf(to)
	if fromDir != "" && toDir != "" {
		for _, name := range []string{"secret.key", "rsvp.key"} {
			if err := copyKeyFile(filepath.Join(fromDir, name), filepath.Join(toDir, name)); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "copied the key files of %s to %s\n", fromDir, toDir)
		return nil
	}
	where := "the source's secret key (--secret-key or DATA_DIR/secret.key) and RSVP key (--rsvp-secret or DATA_DIR/rsvp.key)"
	if fromDir != "" {
		where = filepath.Join(fromDir, "secret.key") + " and " + filepath.Join(fromDir, "rsvp.key")
	}
	fmt.Fprintf(stdout, "now give the servers of the new store %s: stored passwords and tokens are sealed with the secret key\n", where)
	return nil
}

// dataDirOf is the data directory of an SQLite store, "" for PostgreSQL.
func dataDirOf(arg string) string {
	loc := storeLocation(arg)
	if strings.Contains(loc, "://") {
		return ""
	}
	return filepath.Dir(loc)
}

// copyKeyFile copies a key file that exists, never over another key.
func copyKeyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(dst); err == nil {
		if string(old) != string(b) {
			return fmt.Errorf("%s differs from %s: the copy needs the source's key; move it away first", dst, src)
		}
		return nil
	}
	return os.WriteFile(dst, b, 0o600)
}
