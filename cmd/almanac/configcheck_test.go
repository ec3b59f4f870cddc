package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/almanac/almanac/secret"
	"github.com/almanac/almanac/store/storetest"
)

func runConfigCheck(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	code := run(append([]string{"config", "check"}, args...), nil, &out, &out)
	return code, out.String()
}

// TestConfigCheckMasksSecrets: no secret appears in the output, whatever
// carries it; an unreachable database fails the check.
func TestConfigCheckMasksSecrets(t *testing.T) {
	dir := t.TempDir()
	rsvp := strings.Repeat("ab", 32)
	key := secret.EncodeKey(secret.NewKey())
	t.Setenv("ALMANAC_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("ALMANAC_SMTP_PASSWORD", "hunter2-smtp")
	t.Setenv("ALMANAC_RSVP_SECRET", rsvp)
	t.Setenv("ALMANAC_SECRET_KEY", key)
	t.Setenv("ALMANAC_NATS_URL", "")
	code, out := runConfigCheck(t, "--database-url", "postgres://almanac:pw-db-secret@127.0.0.1:1/almanac?sslmode=disable&password=pw-param")
	if code != 1 || !strings.Contains(out, "FAIL  database") {
		t.Fatalf("unreachable database: %d\n%s", code, out)
	}
	for _, s := range []string{"hunter2-smtp", rsvp, key, "pw-db-secret", "pw-param"} {
		if strings.Contains(out, s) {
			t.Errorf("%q shown:\n%s", s, out)
		}
	}
	if !hasLine(out, "smtp-password", "********", "ALMANAC_SMTP_PASSWORD") {
		t.Errorf("no masked smtp-password with its source:\n%s", out)
	}
}

// TestConfigCheckReachesServices: a configuration whose database, NATS and
// SMTP relay answer passes, with what each check found.
func TestConfigCheckReachesServices(t *testing.T) {
	t.Setenv("ALMANAC_DATA_DIR", t.TempDir())
	t.Setenv("ALMANAC_NATS_URL", "")
	t.Run("sqlite", func(t *testing.T) {
		t.Setenv("ALMANAC_DATABASE_URL", "")
		code, out := runConfigCheck(t)
		if code != 0 || !strings.Contains(out, "sqlite") || !strings.Contains(out, "does not exist yet") {
			t.Fatalf("%d\n%s", code, out)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Setenv("ALMANAC_DATABASE_URL", storetest.DatabaseURL(t))
		if nats := os.Getenv("ALMANAC_TEST_NATS_URL"); nats != "" {
			t.Setenv("ALMANAC_NATS_URL", nats)
		}
		smtp := fakeSMTP(t)
		code, out := runConfigCheck(t, "--smtp-host", "127.0.0.1", "--smtp-port", strconv.Itoa(smtp), "--smtp-security", "none")
		if code != 0 || !strings.Contains(out, "(current)") || !strings.Contains(out, "(none)") {
			t.Fatalf("%d\n%s", code, out)
		}
	})
}

// fakeSMTP answers just enough SMTP for a relay check and returns its port.
func fakeSMTP(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				w := bufio.NewWriter(c)
				reply := func(s string) { _, _ = w.WriteString(s + "\r\n"); _ = w.Flush() }
				reply("220 fake ESMTP")
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					switch cmd := strings.ToUpper(strings.Fields(sc.Text() + " x")[0]); cmd {
					case "EHLO":
						reply("250 fake")
					case "QUIT":
						reply("221 bye")
						return
					default:
						reply("250 ok")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// hasLine reports whether out has a line of exactly these fields.
func hasLine(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}
