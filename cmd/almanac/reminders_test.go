package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/almanac/almanac/store/storetest"
)

// mailSink is an SMTP server that counts reminder mail by idempotency key
// (the X-Almanac-Reminder header).
type mailSink struct {
	linkBox
	mu   sync.Mutex
	keys map[string]int
	port int
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct{ s *mailSink }

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *sinkSession) Reset()                               {}
func (x *sinkSession) Logout() error                        { return nil }
func (x *sinkSession) Data(r io.Reader) error {
	h, err := x.s.read(r)
	if err != nil {
		return err
	}
	if key := h.Get("X-Almanac-Reminder"); key != "" { // not the sign-up's verification mail
		x.s.mu.Lock()
		x.s.keys[key]++
		x.s.mu.Unlock()
	}
	return nil
}

func startMailSink(t *testing.T) *mailSink {
	t.Helper()
	s := &mailSink{keys: map[string]int{}}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// counts returns how many distinct reminders arrived and how many
// messages in all.
func (s *mailSink) counts() (distinct, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.keys {
		distinct++
		total += n
	}
	return distinct, total
}

func (s *mailSink) env() []string {
	return []string{"ALMANAC_SMTP_HOST=127.0.0.1", "ALMANAC_SMTP_PORT=" + strconv.Itoa(s.port), "ALMANAC_SMTP_SECURITY=none"}
}

// remindedCalendar registers a user on n, follows the verification link
// the relay got (e-mail reminders go only to a verified address), creates
// a calendar and returns its CalDAV URL. With no links, the address stays
// unverified.
func remindedCalendar(t *testing.T, n *node, name string, links *linkBox) string {
	t.Helper()
	if code, _ := api(t, "POST", n.url+"/api/v1/users/register", "", `{"name":"`+name+`","email":"`+name+`@example.com","password":"correct horse"}`); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if links != nil {
		links.verify(t, n.url, name+"@example.com")
	}
	_, m := api(t, "POST", n.url+"/api/v1/users/login", "", `{"login":"`+name+`","password":"correct horse"}`)
	token, _ := m["token"].(string)
	code, cal := api(t, "POST", n.url+"/api/v1/calendars", token, `{"display_name":"Reminders"}`)
	if code != 201 {
		t.Fatalf("create calendar: %d %v", code, cal)
	}
	return cal["caldav_url"].(string)
}

// putReminded stores count events whose e-mail reminders trigger at
// first, first+step, … (absolute triggers).
func putReminded(t *testing.T, base, calURL, user string, count int, first time.Time, step time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range count {
		at := first.Add(time.Duration(i) * step).UTC()
		body := strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:ev-%d
DTSTAMP:20260101T000000Z
DTSTART:%s
DURATION:PT30M
SUMMARY:Event %d
BEGIN:VALARM
UID:alarm-%d
ACTION:EMAIL
SUMMARY:Event %d
DESCRIPTION:Event %d
ATTENDEE:mailto:%s@example.com
TRIGGER;VALUE=DATE-TIME:%s
END:VALARM
END:VEVENT
END:VCALENDAR
`, i, at.Add(time.Hour).Format("20060102T150405Z"), i, i, i, i, user, at.Format("20060102T150405Z")), "\n", "\r\n")
		req, _ := http.NewRequest("PUT", base+calURL+fmt.Sprintf("ev-%d.ics", i), strings.NewReader(body))
		req.SetBasicAuth(user, "correct horse")
		req.Header.Set("Content-Type", "text/calendar")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("PUT event %d: %d", i, resp.StatusCode)
		}
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRemindersSurviveKill kills the server (SIGKILL) while reminders are
// coming due and starts it again, on SQLite and on PostgreSQL: every
// reminder reaches the SMTP server, and repeats of one (a crash between
// hand-off and acknowledgement) carry the same idempotency key.
func TestRemindersSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		killAndRestart(t, bin, []string{"ALMANAC_DATA_DIR=" + t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		killAndRestart(t, bin, postgresEnv(t))
	})
}

// postgresEnv prepares a fresh schema and returns the settings that point
// a node at it.
func postgresEnv(t *testing.T) []string {
	t.Helper()
	env := []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_DATABASE_URL=" + storetest.DatabaseURL(t)}
	if nats := os.Getenv("ALMANAC_TEST_NATS_URL"); nats != "" {
		env = append(env, "ALMANAC_NATS_URL="+nats)
	}
	return env
}

func killAndRestart(t *testing.T, bin string, env []string) {
	sink := startMailSink(t)
	env = append(sink.env(), env...)
	n := startNode(t, bin, env)
	calURL := remindedCalendar(t, n, "kim", &sink.linkBox)
	const count = 60
	// Triggers are whole seconds: start on the next whole second + 3 s.
	first := time.Now().Truncate(time.Second).Add(3 * time.Second)
	putReminded(t, n.url, calURL, "kim", count, first, 100*time.Millisecond)
	waitFor(t, 20*time.Second, "the first reminders", func() bool { d, _ := sink.counts(); return d > 0 })
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = n.cmd.Wait()
	before, _ := sink.counts()
	t.Logf("%d of %d reminders delivered before the kill", before, count)
	time.Sleep(time.Until(first.Add(7 * time.Second))) // the rest come due while the server is down

	startNode(t, bin, env)
	// A delivery the killed node had leased waits out its lease (2 min)
	// before another attempt; the others go at once.
	waitFor(t, 150*time.Second, "every reminder after the restart", func() bool { d, _ := sink.counts(); return d == count })
	time.Sleep(time.Second)
	d, total := sink.counts()
	if d != count {
		t.Fatalf("%d distinct reminders, want %d", d, count)
	}
	t.Logf("%d messages for %d reminders (repeats share their key)", total, d)
	// The operator sees them in the outbox like any other delivery.
	list := exec.Command(bin, "outbox", "list", "--limit", "500")
	list.Env = append(os.Environ(), env...)
	out, err := list.CombinedOutput()
	if err != nil || strings.Count(string(out), "reminder-email") != count {
		t.Errorf("almanac outbox list: %v\n%s", err, out)
	}
}

// TestRemindersTwoNodes runs two servers on one PostgreSQL database: each
// reminder is staged and delivered by one of them, once.
func TestRemindersTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	sink := startMailSink(t)
	env := append(sink.env(), postgresEnv(t)...)
	bin := buildBinary(t)
	a := startNode(t, bin, env)
	startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir()))
	calURL := remindedCalendar(t, a, "lee", &sink.linkBox)
	const count = 200
	first := time.Now().Truncate(time.Second).Add(4 * time.Second)
	putReminded(t, a.url, calURL, "lee", count, first, 20*time.Millisecond)
	// A deadline for completion, not a speed test: on a loaded machine the
	// 200 writes alone can take longer than the reminders' spread.
	waitFor(t, 150*time.Second, "every reminder", func() bool { d, _ := sink.counts(); return d == count })
	time.Sleep(2 * time.Second)
	if d, total := sink.counts(); d != count || total != count {
		t.Fatalf("%d messages for %d reminders, want %d each once", total, d, count)
	}
}

// TestReminderReachesOpenClients follows a reminder set over the JSON API
// to the user's open stream, where it arrives as a "reminder" event.
func TestReminderReachesOpenClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := startNode(t, buildBinary(t), []string{"ALMANAC_DATA_DIR=" + t.TempDir()})
	api(t, "POST", n.url+"/api/v1/users/register", "", `{"name":"ren","email":"ren@example.com","password":"correct horse"}`)
	_, login := api(t, "POST", n.url+"/api/v1/users/login", "", `{"login":"ren","password":"correct horse"}`)
	token := login["token"].(string)
	_, cal := api(t, "POST", n.url+"/api/v1/calendars", token, `{"display_name":"Home"}`)
	start := time.Now().Add(time.Hour).UTC()
	code, ev := api(t, "POST", n.url+"/api/v1/events", token, `{"calendar_id":"`+cal["id"].(string)+`","title":"Call mum",
		"start":{"date_time":"`+start.Format(time.RFC3339)+`"},"end":{"date_time":"`+start.Add(time.Hour).Format(time.RFC3339)+`"},"reminders":[]}`)
	if code != 201 {
		t.Fatalf("event: %d %v", code, ev)
	}
	events := sse(t, n.url+"/api/v1/stream", token)
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second)
	code, rem := api(t, "POST", n.url+"/api/v1/reminders/"+ev["id"].(string), token, `{"at":"`+at.Format(time.RFC3339)+`"}`)
	if code != 201 {
		t.Fatalf("reminder: %d %v", code, rem)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		e := waitEvent(t, events, 15*time.Second)
		if e.typ != "reminder" {
			continue // the change events of the writes
		}
		var r struct {
			ReminderID string    `json:"reminder_id"`
			Summary    string    `json:"summary"`
			TriggerAt  time.Time `json:"trigger_at"`
		}
		if err := json.Unmarshal([]byte(e.data), &r); err != nil || r.ReminderID != rem["id"] || r.Summary != "Call mum" || !r.TriggerAt.Equal(at) {
			t.Fatalf("reminder event %s (%v)", e.data, err)
		}
		t.Logf("reminder due %s arrived %v after", at.Format(time.TimeOnly), time.Since(at))
		return
	}
	t.Fatal("no reminder event")
}
