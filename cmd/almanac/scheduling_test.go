package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTool skips a test whose external program is missing, or fails it
// when ALMANAC_TEST_REQUIRE_CLIENTS=1 (CI).
func requireTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	if err := exec.Command(path, args...).Run(); err == nil {
		return path
	}
	if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s %v is required (ALMANAC_TEST_REQUIRE_CLIENTS=1)", path, args)
	}
	t.Skipf("%s is not available", path)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeSchedulingMail runs the binary with its mail settings: an
// external organizer's invitation arrives by SMTP (swaks), the invitee
// accepts over JSON, and the REPLY leaves through the configured relay
// (aiosmtpd), where python3-icalendar reads it.
func TestServeSchedulingMail(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	py := requireTool(t, "/usr/bin/python3", "-c", "import aiosmtpd, icalendar")
	swaks := requireTool(t, "swaks", "--version")
	relay, maildir := freeAddr(t), filepath.Join(t.TempDir(), "Maildir")
	sink := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", relay, "-c", "aiosmtpd.handlers.Mailbox", maildir)
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Process.Kill(); _ = sink.Wait() })
	smtpIn := freeAddr(t)
	host, port, _ := net.SplitHostPort(relay)
	bin := buildBinary(t)
	dataDir := t.TempDir()
	n := startNode(t, bin, []string{"ALMANAC_DATA_DIR=" + dataDir, "ALMANAC_SMTP_HOST=" + host, "ALMANAC_SMTP_PORT=" + port,
		"ALMANAC_SMTP_SECURITY=none", "ALMANAC_MAIL_FROM=calendar@almanac.test", "ALMANAC_SMTP_LISTEN=" + smtpIn})
	defer n.stop(t)

	// The administrator's account: its address counts as verified, so
	// invitations to it reach it.
	add := exec.Command(bin, "user", "add", "bob", "--email", "bob@almanac.test", "--password-stdin")
	add.Env = append(os.Environ(), "ALMANAC_DATA_DIR="+dataDir)
	add.Stdin = strings.NewReader("correct horse\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	_, body := api(t, "POST", n.url+"/api/v1/users/login", "", `{"login":"bob","password":"correct horse"}`)
	token := body["token"].(string)

	invite := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n" +
		"UID:lunch-7@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260110T120000Z\r\nDTEND:20260110T130000Z\r\nSUMMARY:Lunch\r\n" +
		"ORGANIZER;CN=Erin:mailto:erin@example.org\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@almanac.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	file := filepath.Join(t.TempDir(), "invite.ics")
	os.WriteFile(file, []byte(invite), 0o644)
	out, err := exec.Command(swaks, "--server", smtpIn, "--from", "erin@example.org", "--to", "bob@almanac.test",
		"--attach-type", "text/calendar; method=REQUEST", "--attach", "@"+file).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	var inv []map[string]any
	for deadline := time.Now().Add(10 * time.Second); len(inv) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		inv = invitations(t, n.url, token)
	}
	if len(inv) != 1 || inv[0]["organizer"] != "erin@example.org" {
		t.Fatalf("bob's pending invitations: %v", inv)
	}
	code, body := api(t, "PUT", fmt.Sprintf("%s/api/v1/invitations/%s/%s", n.url, inv[0]["event_id"], inv[0]["id"]), token, `{"status":"ACCEPTED"}`)
	if code != 200 || body["status"] != "ACCEPTED" {
		t.Fatalf("accept: %d %v", code, body)
	}
	var files []string
	for deadline := time.Now().Add(10 * time.Second); len(files) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(maildir, "new", "*"))
	}
	if len(files) != 1 {
		t.Fatalf("the relay received %d messages", len(files))
	}
	read := `import email, sys
from icalendar import Calendar
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for part in msg.walk():
    if part.get_content_type() == 'text/calendar':
        cal = Calendar.from_ical(part.get_payload(decode=True))
        ev = cal.walk('VEVENT')[0]
        print(msg['From'], msg['To'], cal['METHOD'], ev['ATTENDEE'].params['PARTSTAT'], ev['UID'])
        break`
	got, err := exec.Command(py, "-c", read, files[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	// bob's address is in the server's mail domain: the reply is from him.
	if want := "<bob@almanac.test> <erin@example.org> REPLY ACCEPTED lunch-7@example.org"; strings.TrimSpace(string(got)) != want {
		t.Errorf("the reply as python3-icalendar reads it: %q, want %q", got, want)
	}
}

func invitations(t *testing.T, url, token string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/invitations", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&list)
	return list
}
