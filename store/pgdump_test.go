package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/jackc/pgx/v5"
)

// TestPostgresDumpRestore follows the backup recipe of docs/deploy.md:
// pg_dump in the custom format, pg_restore into a new database, and a
// store opened on it holds every row, and new rows get fresh ids.
func TestPostgresDumpRestore(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	ctx := context.Background()
	base, schema := storetest.Schema(t)
	s, err := store.Open(ctx, base, store.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := store.FillEveryTable(ctx, s, 3); err != nil {
		t.Fatal(err)
	}
	want := digests(t, s)

	dump := filepath.Join(t.TempDir(), "almanac.dump")
	// The test server is shared: the test dumps its own schema only, where
	// the recipe dumps the whole database.
	run(t, "pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, base)
	restored := newDatabase(t, base)
	run(t, "pg_restore", "--no-owner", "--dbname="+restored, dump)

	r, err := store.Open(ctx, restored, store.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := digests(t, r); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored:\n%v\nwant\n%v", got, want)
	}
	u := &store.User{Name: "newcomer", Email: "newcomer@example.com", TimeZone: "UTC"}
	if err := r.CreateUser(ctx, u); err != nil || u.ID != 4 {
		t.Fatalf("user after the restore: id %d, %v", u.ID, err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// newDatabase creates an empty database on the test server, dropped when
// the test ends, and returns its URL.
func newDatabase(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test_restore_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
