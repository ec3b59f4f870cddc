// Package storetest opens throwaway stores for tests: an SQLite file in a
// temporary directory, and a fresh schema on the PostgreSQL server named by
// ALMANAC_TEST_DATABASE_URL. Tests of any package use it to run against both
// backends.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
)

// Each runs fn as parallel subtests "sqlite" and "postgres", each with an
// empty store; the PostgreSQL one is skipped when no server is configured.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, Postgres(t))
	})
}

// SQLite opens an empty store in a temporary file.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "almanac.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Postgres opens an empty store in a new schema, dropped after the test,
// or skips the test when ALMANAC_TEST_DATABASE_URL is not set.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	url, schema := Schema(t)
	s, err := store.Open(context.Background(), url, store.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// DatabaseURL prepares a fresh schema on the test server, migrated and
// dropped after the test, and returns the server URL with search_path set
// to it: what a separate process (an "almanac serve" node) is pointed at.
// It skips the test when ALMANAC_TEST_DATABASE_URL is not set.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	url, schema := Schema(t)
	s, err := store.Open(context.Background(), url, store.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

// Schema reserves a fresh schema name on the test server, dropped when the
// test ends, and returns the server URL with it; it skips the test when
// ALMANAC_TEST_DATABASE_URL is not set.
func Schema(t testing.TB) (url, schema string) {
	t.Helper()
	url = os.Getenv("ALMANAC_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("ALMANAC_TEST_DATABASE_URL is not set; skipping PostgreSQL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := store.DropSchema(context.Background(), url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return url, schema
}
