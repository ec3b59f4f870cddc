package store_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestCopyBetweenDialects copies a store with rows in every table from
// SQLite to PostgreSQL and back, and finds the same rows at each end.
func TestCopyBetweenDialects(t *testing.T) {
	ctx := context.Background()
	lite, pg, back := storetest.SQLite(t), storetest.Postgres(t), storetest.SQLite(t)
	if err := store.FillEveryTable(ctx, lite, 3); err != nil {
		t.Fatal(err)
	}
	want := digests(t, lite)
	for table, d := range want {
		if d.Rows != 3 {
			t.Fatalf("%s holds %d rows", table, d.Rows)
		}
	}
	for _, hop := range []struct {
		name     string
		from, to *store.Store
	}{{"sqlite to postgres", lite, pg}, {"postgres to sqlite", pg, back}} {
		copied := map[string]int64{}
		if err := store.Copy(ctx, hop.from, hop.to, func(table string, n int64) { copied[table] = n }); err != nil {
			t.Fatalf("%s: %v", hop.name, err)
		}
		if got := digests(t, hop.to); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the copy differs:\n%v\nwant\n%v", hop.name, got, want)
		}
		if len(copied) != len(want) || copied["objects"] != 3 {
			t.Fatalf("%s: reported %v", hop.name, copied)
		}
	}
	// New rows get fresh ids after the copied ones.
	u := &store.User{Name: "newcomer", Email: "newcomer@example.com", TimeZone: "UTC"}
	if err := pg.CreateUser(ctx, u); err != nil || u.ID != 4 {
		t.Fatalf("user after the copy: id %d, %v", u.ID, err)
	}
	if err := store.Copy(ctx, lite, pg, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a store with data: %v", err)
	}
}

func digests(t *testing.T, s *store.Store) map[string]store.TableDigest {
	t.Helper()
	d, err := s.Digests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
