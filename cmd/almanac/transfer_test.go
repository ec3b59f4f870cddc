package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store"
)

func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "almanac.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(context.Background(), &store.User{Name: "alice", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cmd := func(stdin string, args ...string) (int, string, string) {
		var out, errs strings.Builder
		code := run(append(args, "--data-dir", dir), strings.NewReader(stdin), &out, &errs)
		return code, out.String(), errs.String()
	}
	file := "../../calendar/testdata/import/google.ics"
	code, out, errs := cmd("", "import", "--user", "alice", "--calendar", "family", file)
	if code != 0 || !strings.Contains(out, "created calendar alice/family") || !strings.Contains(out, "2 created") || errs != "" {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	data, _ := os.ReadFile(file)
	code, out, _ = cmd(string(data), "import", "--user", "alice", "--calendar", "family", "-")
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Fatalf("import from stdin: %d %q", code, out)
	}
	bad := "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nDTSTART:nonsense\nEND:VEVENT\nEND:VCALENDAR\n"
	code, out, errs = cmd(bad, "import", "--user", "alice", "--calendar", "family", "-")
	if code != 1 || !strings.Contains(out, "1 failed") || !strings.Contains(errs, "line 3: x:") {
		t.Errorf("import of a bad object: %d %q %q", code, out, errs)
	}
	// The date range is the server's: 1900 to 2100 unless configured.
	old := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:old\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:18500612\nEND:VEVENT\nEND:VCALENDAR\n"
	if code, out, errs := cmd(old, "import", "--user", "alice", "--calendar", "history", "-"); code != 1 || !strings.Contains(out, "1 failed") || !strings.Contains(errs, "before 19000101T000000Z") {
		t.Errorf("import of an 1850 event: %d %q %q", code, out, errs)
	}
	if code, out, errs := cmd(old, "import", "--user", "alice", "--calendar", "history", "--min-date-time", "1800-01-01T00:00:00Z", "-"); code != 0 || !strings.Contains(out, "1 created") {
		t.Errorf("import of an 1850 event with --min-date-time 1800: %d %q %q", code, out, errs)
	}
	if code, _, _ := cmd(old, "import", "--user", "alice", "--calendar", "history", "--min-date-time", "yesterday", "-"); code != 2 {
		t.Errorf("import with a bad --min-date-time: %d", code)
	}
	if code, _, errs := cmd("hello", "import", "--user", "alice", "--calendar", "family", "-"); code != 1 || !strings.Contains(errs, "not an iCalendar file") {
		t.Errorf("import of something else: %d %q", code, errs)
	}
	if code, _, _ := cmd("", "import", "--user", "alice", file); code != 2 {
		t.Errorf("import without --calendar: %d", code)
	}
	target := filepath.Join(dir, "out.ics")
	if code, _, errs := cmd("", "export", "--user", "alice", "--calendar", "family", target); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	exported, _ := os.ReadFile(target)
	if !strings.Contains(string(exported), "X-WR-CALNAME:Family") ||
		!strings.Contains(string(exported), "X-WR-TIMEZONE:America/New_York") || strings.Count(string(exported), "BEGIN:VEVENT") != 3 {
		t.Errorf("export:\n%s", exported)
	}
	if code, _, _ := cmd("", "export", "--user", "alice", "--calendar", "nope"); code != 1 {
		t.Errorf("export of a missing calendar: %d", code)
	}
}

func TestSecretsRotate(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	keys := secretConfig{}
	kr, err := keys.keyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "almanac.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Name: "alice", Email: "alice@example.com"}
	_ = st.CreateUser(ctx, u)
	cals := calendar.New(st, calendar.Options{Secrets: kr})
	cal := &store.Calendar{Name: "work"}
	if err := cals.CreateCalendar(ctx, u, cal); err != nil {
		t.Fatal(err)
	}
	pub, _, err := cals.Publish(ctx, u, cal, calendar.LevelBusy, false)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out, errs strings.Builder
	if code := run([]string{"secrets", "rotate", "--data-dir", dir}, nil, &out, &errs); code != 0 || !strings.Contains(out.String(), "re-sealed 1 secrets") {
		t.Fatalf("rotate: %d %s %s", code, out.String(), errs.String())
	}
	list, _ := secret.LoadFile(filepath.Join(dir, "secret.key"))
	if len(list) != 1 {
		t.Fatalf("key file after rotation holds %d keys", len(list))
	}
	kr2, _ := secret.New(list[0])
	st, _ = store.Open(ctx, filepath.Join(dir, "almanac.db"), store.Options{})
	defer st.Close()
	got, err := calendar.New(st, calendar.Options{Secrets: kr2}).Publication(ctx, u, cal)
	if err != nil || got.Token != pub.Token {
		t.Fatalf("publication after rotation: %+v, %v", got, err)
	}
}
