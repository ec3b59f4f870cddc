package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/cmd/almanac/servetest"
	"github.com/almanac/almanac/store/storetest"
)

// TestMigrateStore moves a server's data from SQLite to PostgreSQL and on
// to a new SQLite directory; at each hop a server started on the copy has
// every event with its ETag, answers a sync from a token the client got
// before the move, and takes the same passwords.
func TestMigrateStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pgURL := storetest.DatabaseURL(t)
	bin := servetest.Build(t)
	dir := t.TempDir()
	first, last := filepath.Join(dir, "first"), filepath.Join(dir, "last")
	env := []string{"ALMANAC_DATA_DIR=" + first, "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="}
	srv := servetest.Start(t, bin, env...)
	c := &davClient{t: t, base: srv.URL, user: "alice", pass: addUser(t, bin, env)}
	if code, _, body := c.do("MKCALENDAR", "/dav/calendars/alice/work/", ""); code != 201 {
		t.Fatalf("MKCALENDAR: %d %s", code, body)
	}
	w := &written{etags: map[string]string{}}
	write := func(prefix string, n int) {
		for i := range n {
			name := fmt.Sprintf("%s-%d", prefix, i)
			w.add(name, c.put("work", name))
		}
	}
	write("sqlite", 15)
	_, token, _ := c.sync("work", "")
	write("after-token", 5)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	hops := []struct {
		from, to string
		env      []string
	}{
		{first, pgURL, []string{"ALMANAC_DATA_DIR=" + first, "ALMANAC_DATABASE_URL=" + pgURL, "ALMANAC_NATS_URL="}},
		{pgURL, last, []string{"ALMANAC_DATA_DIR=" + last, "ALMANAC_DATABASE_URL=", "ALMANAC_NATS_URL="}},
	}
	for i, hop := range hops {
		code, out := almanacCmd(t, bin, nil, "", "migrate-store", "--from", hop.from, "--to", hop.to)
		if code != 0 || !strings.Contains(out, "every table matches") {
			t.Fatalf("hop %d: migrate-store: %d\n%s", i, code, out)
		}
		t.Logf("hop %d:\n%s", i, out)
		srv := servetest.Start(t, bin, hop.env...)
		c.base = srv.URL
		all := w.upTo()
		checkRestored(t, c, w, all, 15, token)
		if code := login(t, srv.URL, "alice", "correct horse"); code != 200 {
			t.Errorf("hop %d: password login: %d", i, code)
		}
		write(fmt.Sprintf("hop%d", i), 3) // the copy takes writes, with fresh ids
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := almanacCmd(t, bin, nil, "", "migrate-store", "--from", first, "--to", last); code == 0 || !strings.Contains(out, "not empty") {
		t.Fatalf("copy into a store with data: %d %s", code, out)
	}
}
