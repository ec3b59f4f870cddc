package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// refusingRelay is an SMTP server that refuses every recipient with 550
// while refuse is set, and takes the mail otherwise.
type refusingRelay struct {
	refuse   atomic.Bool
	accepted atomic.Int32
}

func (r *refusingRelay) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &refusingSession{r: r}, nil
}

type refusingSession struct{ r *refusingRelay }

func (x *refusingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *refusingSession) Rcpt(string, *smtp.RcptOptions) error {
	if x.r.refuse.Load() {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}
func (x *refusingSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	x.r.accepted.Add(1)
	return nil
}
func (x *refusingSession) Reset()        {}
func (x *refusingSession) Logout() error { return nil }

// TestServeScheduleStatus runs the binary against a relay that refuses
// the invitation: the organizer's copy, read over CalDAV, shows
// SCHEDULE-STATUS 5.1; after `almanac outbox retry` with the relay
// taking mail again it shows 1.1, with a new ETag (RFC 6638 §3.2.9).
func TestServeScheduleStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	relay := &refusingRelay{}
	relay.refuse.Store(true)
	srv := smtp.NewServer(relay)
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	bin := buildBinary(t)
	dataDir := t.TempDir()
	n := startNode(t, bin, []string{"ALMANAC_DATA_DIR=" + dataDir, "ALMANAC_SMTP_HOST=127.0.0.1",
		"ALMANAC_SMTP_PORT=" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), "ALMANAC_SMTP_SECURITY=none",
		"ALMANAC_MAIL_FROM=calendar@almanac.test"})
	defer n.stop(t)
	add := exec.Command(bin, "user", "add", "alice", "--email", "alice@almanac.test", "--password-stdin")
	add.Env = append(os.Environ(), "ALMANAC_DATA_DIR="+dataDir)
	add.Stdin = strings.NewReader("correct horse\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	_, body := api(t, "POST", n.url+"/api/v1/users/login", "", `{"login":"alice","password":"correct horse"}`)
	token, _ := body["token"].(string)
	code, cal := api(t, "POST", n.url+"/api/v1/calendars", token, `{"display_name":"Work"}`)
	if code != 201 {
		t.Fatalf("create calendar: %d %v", code, cal)
	}
	href := n.url + cal["caldav_url"].(string) + "review.ics"
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:status-e2e\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nSUMMARY:Review\r\nORGANIZER:mailto:alice@almanac.test\r\n" +
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@almanac.test\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:carol@example.net\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
	req, _ := http.NewRequest("PUT", href, strings.NewReader(ics))
	req.SetBasicAuth("alice", "correct horse")
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	statusRE := regexp.MustCompile(`SCHEDULE-STATUS=([0-9.]+)[^\r\n]*:mailto:carol@example.net`)
	get := func() (status, etag string) {
		req, _ := http.NewRequest("GET", href, nil)
		req.SetBasicAuth("alice", "correct horse")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		unfolded := strings.ReplaceAll(string(b), "\r\n ", "")
		if m := statusRE.FindStringSubmatch(unfolded); m != nil {
			status = m[1]
		}
		return status, resp.Header.Get("ETag")
	}
	waitFor(t, 20*time.Second, "SCHEDULE-STATUS 5.1", func() bool { s, _ := get(); return s == "5.1" })
	_, failedTag := get()

	relay.refuse.Store(false)
	out, err := exec.Command(bin, "outbox", "list", "--status", "dead", "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("outbox list: %v\n%s", err, out)
	}
	var id string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "carol@example.net") {
			id = strings.Fields(line)[0]
		}
	}
	if id == "" {
		t.Fatalf("no dead message to carol:\n%s", out)
	}
	if out, err := exec.Command(bin, "outbox", "retry", id, "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("outbox retry: %v\n%s", err, out)
	}
	waitFor(t, 20*time.Second, "SCHEDULE-STATUS 1.1 after the retry", func() bool { s, _ := get(); return s == "1.1" })
	if _, tag := get(); tag == failedTag || tag == "" {
		t.Errorf("ETag %q after the status changed, %q before", tag, failedTag)
	}
	if relay.accepted.Load() != 1 {
		t.Errorf("the relay took %d messages, want 1", relay.accepted.Load())
	}
}
