package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRecur(t *testing.T) {
	cases := []struct {
		name   string
		input  string // file in testdata/recur
		args   []string
		status int
		stderr string // a part of the message on stderr
	}{
		{"tzid-dst", "tzid-dst.ics", nil, 0, ""},
		{"date", "date.ics", nil, 0, ""},
		{"floating", "floating.ics", nil, 0, ""},
		{"max", "endless.ics", []string{"--max", "5"}, 0, ""},
		{"from-to", "endless.ics", []string{"--from", "20240401", "--to", "2024-04-16T00:00:00Z"}, 0, ""},
		{"from-overlap", "tzid-dst.ics", []string{"--from", "20240309T080000Z", "--to", "20240310T073000Z"}, 0, ""},
		{"endless-without-bounds", "endless.ics", nil, 1, "MaxPerWindow=10000; narrow the output with --to or --max"},
		{"invalid", "invalid.ics", nil, 1, "line 6: property RRULE: the line ends inside the parameters"},
		{"bad-rule", "bad-rule.ics", nil, 1, "VEVENT RRULE: BYMONTHDAY=32"},
		{"two-uids", "two-uids.ics", nil, 1, "found 2 UIDs"},
		{"bad-from", "date.ics", []string{"--from", "yesterday"}, 2, "--from: \"yesterday\" is not a time in UTC"},
		{"from-after-to", "date.ics", []string{"--from", "20250101", "--to", "20240101"}, 2, "--from must be before --to"},
		{"extra-argument", "date.ics", []string{"date.ics"}, 2, "the object is read on standard input"},
		{"unknown-flag", "date.ics", []string{"--until", "x"}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, err := os.Open(filepath.Join("testdata", "recur", c.input))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var stdout, stderr bytes.Buffer
			if got := runRecur(c.args, in, &stdout, &stderr); got != c.status {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", got, c.status, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.stderr) || (c.stderr == "") != (stderr.Len() == 0) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), c.stderr)
			}
			if c.status == 0 {
				golden(t, filepath.Join("testdata", "recur", c.name+".out"), stdout.String())
			}
		})
	}
}

func TestRecurHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := runRecur([]string{"--help"}, strings.NewReader(""), &stdout, &stderr); got != 0 {
		t.Fatalf("exit status %d", got)
	}
	for _, want := range []string{"usage: almanac recur", "-from TIME", "-max N", "YYYYMMDDTHHMMSSZ"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stdout.String())
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
