package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestUserAddWithoutTerminal: a password piped in without --password-stdin
// is refused, rather than making an account without a password; the error
// says what to do.
func TestUserAddWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ALMANAC_DATABASE_URL", "")
	user := func(stdin string, args ...string) (int, string) {
		var out strings.Builder
		args = append([]string{"user", "--data-dir", filepath.Join(dir, "data")}, args...)
		code := run(args, strings.NewReader(stdin), &out, &out)
		return code, out.String()
	}
	code, out := user("secret\n", "add", "alice", "--email", "alice@example.com")
	if code != 2 || !strings.Contains(out, "--password-stdin") || !strings.Contains(out, "not a terminal") {
		t.Fatalf("piped password without --password-stdin: %d %s", code, out)
	}
	if code, out := user("", "list"); code != 0 || strings.Contains(out, "alice") {
		t.Fatalf("the refused user exists: %d %s", code, out)
	}
	if code, out := user("secret\n", "add", "alice", "--email", "alice@example.com", "--password-stdin", "--no-password"); code != 2 {
		t.Fatalf("both password flags: %d %s", code, out)
	}
	if code, out := user("correct horse\n", "add", "alice", "--email", "alice@example.com", "--password-stdin"); code != 0 {
		t.Fatalf("with --password-stdin: %d %s", code, out)
	}
	if code, out := user("", "add", "bob", "--email", "bob@example.com", "--no-password"); code != 0 {
		t.Fatalf("with --no-password: %d %s", code, out)
	}
	if code, out := user("new\n", "passwd", "bob"); code != 2 || !strings.Contains(out, "--password-stdin") {
		t.Fatalf("passwd without terminal: %d %s", code, out)
	}
}
