package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/cmd/almanac/servetest"
	"github.com/almanac/almanac/store/storetest"
)

// TestSmoke runs the smoke profile against a fresh server, on SQLite and
// on PostgreSQL when there is one, and expects every operation of the mix
// to have run without an error; then it compares the server with itself
// through "peers".
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	bin := servetest.Build(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		base := startServer(t, bin, "ALMANAC_DATA_DIR="+dir)
		smoke(t, base, dir)
		t.Run("peers", func(t *testing.T) { testPeers(t, base) })
	})
	t.Run("postgres", func(t *testing.T) {
		dir := t.TempDir()
		env := []string{"ALMANAC_DATABASE_URL=" + storetest.DatabaseURL(t), "ALMANAC_DATA_DIR=" + dir}
		if nats := os.Getenv("ALMANAC_TEST_NATS_URL"); nats != "" {
			env = append(env, "ALMANAC_NATS_URL="+nats)
		}
		smoke(t, startServer(t, bin, env...), dir)
	})
}

// smoke runs the smoke profile on users made through the API.
func smoke(t *testing.T, base, dataDir string) {
	p, err := loadProfile("profiles/smoke.json")
	if err != nil {
		t.Fatal(err)
	}
	populate(t, base, dataDir, p.Users.Count)

	var logs bytes.Buffer
	res, err := simulate(context.Background(), base, p, false, &logs)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	var report bytes.Buffer
	writeTable(&report, res)
	t.Logf("smoke run:\n%s%s", report.String(), logs.String())
	for _, row := range slices.Concat(operations, []string{rowRSVPList}) {
		s := res.rows[row]
		switch {
		case s == nil || len(s.lat) == 0:
			t.Errorf("%s never ran", row)
		case s.errors > 0:
			t.Errorf("%s: %d errors", row, s.errors)
		}
	}
	for _, row := range []string{rowSyncChanged, rowFullSync} {
		if s := res.rows[row]; s != nil && s.errors > 0 {
			t.Errorf("%s: %d errors", row, s.errors)
		}
	}
	if err := writeVerdicts(&report, evaluate(p, res)); err != nil {
		t.Error(err)
	}
}

func testPeers(t *testing.T, base string) {
	o := peerOptions{events: 40, clients: 2, duration: time.Second, log: &errorLog{w: &bytes.Buffer{}, left: 10}}
	o.month, _ = time.Parse(monthLayout, "2025-02")
	o.report = monthQuery(o.month)
	coll := base + "/dav/calendars/" + userName(0) + "/peers/@" + userName(0) + ":" + testPassword
	var servers []peerServer
	for _, arg := range []string{"one=" + coll, "two=" + strings.Replace(coll, "/peers/", "/peers2/", 1)} {
		s, err := parsePeer(arg)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	var out bytes.Buffer
	if err := o.compare(&out, servers); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("peers:\n%s", out.String())
	for _, want := range []string{"| one | caldav_sync |", "| two | get_event | ", "Ratios to one"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the comparison lacks %q", want)
		}
	}
}
