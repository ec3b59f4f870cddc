package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	_ "modernc.org/sqlite" // to look into the stopped server's database
)

// The soak test's bounds. The server holds the memory of a few deliveries
// at a time, whatever the size of the meeting: its peak RSS stays near
// what it needs idle (some 55 MB: the embedded database and message bus,
// the web client's compressed files), at about 95 MB. Before the fan-out
// was bounded, this meeting took it to 230 MB, and one with 20,000
// attendees to 15 GB.
const (
	soakMemLimit = "128MiB" // GOMEMLIMIT: the garbage collector's target
	soakMaxRSS   = 160 << 20
	soakLocals   = 10
	soakWait     = 90 * time.Second
)

// TestFanoutSoak runs the server with a memory limit and makes the largest
// meeting it allows (--max-attendees, default 500: most guests external,
// some users of the server) with an agenda of some kilobytes. It checks
// that a meeting one larger is refused over JSON and CalDAV, that every
// guest gets exactly one invitation (in DATA_DIR/mail-out, as no relay is
// set) and every local attendee the event, that the server is alive, and
// that its peak RSS (VmHWM) stayed under soakMaxRSS. Then it kills the
// server during a second such fan-out and starts it again: the messages
// it was delivering are delivered once each, and nothing is given up.
func TestFanoutSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's peak memory")
	}
	s := &soak{t: t, bin: buildBinary(t), dir: t.TempDir()}
	s.start()
	defer s.n.stop(t)
	begin, idle := time.Now(), peakRSS(t, s.n.cmd.Process.Pid)
	s.users()
	s.refusesOneMore()

	written := time.Now()
	s.waitDelivered(s.meeting())
	fanout := time.Since(written)
	s.checkMail(1)
	if code, _ := get(t, s.n.url+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz after the fan-out: %d", code)
	}
	peak := peakRSS(t, s.n.cmd.Process.Pid)
	t.Logf("%d attendees: fan-out %s (test %s); peak RSS %d MB (%d MB idle, limit %d MB)",
		len(s.everyone), fanout.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond), peak>>20, idle>>20, soakMaxRSS>>20)
	if peak > soakMaxRSS {
		t.Errorf("peak RSS %d MB, over %d MB", peak>>20, soakMaxRSS>>20)
	}
	s.killDuringFanout()
}

// soak is the server of TestFanoutSoak and what the test made in it.
type soak struct {
	t        *testing.T
	bin, dir string
	n        *node
	token    string // the organizer's
	calID    string
	guests   []string // external attendees
	everyone []string // local and external attendees
}

func (s *soak) start() {
	s.n = startNode(s.t, s.bin, []string{"ALMANAC_DATA_DIR=" + s.dir, "ALMANAC_MAIL_FROM=calendar@almanac.test", "GOMEMLIMIT=" + soakMemLimit})
}

func (s *soak) mailDir() string { return filepath.Join(s.dir, "mail-out") }

// users registers the organizer and the local attendees, and names the
// guests.
func (s *soak) users() {
	s.token = s.user("olga")
	for i := range soakLocals {
		name := fmt.Sprintf("local%02d", i)
		s.user(name)
		s.everyone = append(s.everyone, name+"@almanac.test")
	}
	// The verification links are mail too; the counts below are of
	// invitations only.
	files, _ := filepath.Glob(filepath.Join(s.mailDir(), "*.eml"))
	for _, f := range files {
		os.Remove(f)
	}
	for i := len(s.everyone); i < calendar.DefaultMaxAttendees; i++ {
		s.guests = append(s.guests, fmt.Sprintf("guest%03d@example.net", i))
	}
	s.everyone = append(s.everyone, s.guests...)
	s.calID = soakCalendar(s.t, s.n.url, s.token)
}

// user registers name and follows its verification link: the server
// schedules only for verified addresses.
func (s *soak) user(name string) string {
	token := soakUser(s.t, s.n.url, name)
	verifyByMail(s.t, s.n.url, s.dir, name+"@almanac.test")
	return token
}

// refusesOneMore checks that a meeting one larger than allowed is refused
// by both front ends.
func (s *soak) refusesOneMore() {
	t := s.t
	more := append(append([]string{}, s.everyone...), "one-more@example.net")
	code, body := soakDo(t, "POST", s.n.url+"/api/v1/events", s.token, soakEvent(s.calID, more))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"attendees"`) {
		t.Fatalf("%d attendees over JSON: %d %s", len(more), code, body)
	}
	code, body = soakCalDAV(t, s.n.url, "olga", soakICS(more))
	if code != http.StatusForbidden || !strings.Contains(body, "max-attendees-per-instance") {
		t.Fatalf("%d attendees over CalDAV: %d %s", len(more), code, body)
	}
}

// killDuringFanout kills the server once the next meeting's e-mails start
// to go out, and starts it again as if the leases it held had run out:
// every recipient gets the meeting once, nothing is given up on, and the
// peak RSS of the new process stays under the bound too.
func (s *soak) killDuringFanout() {
	t := s.t
	second := s.meeting()
	for deadline := time.Now().Add(soakWait); soakCount(t, s.mailDir()) == len(s.guests); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second fan-out did not start")
		}
	}
	if err := s.n.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.n.cmd.Wait()
	db := filepath.Join(s.dir, "almanac.db")
	held := soakExec(t, db, `UPDATE outbox SET leased_until = 1 WHERE status = 'pending' AND leased_until > 0`)
	s.start()
	s.waitDelivered(second)
	s.checkMail(2)
	peak := peakRSS(t, s.n.cmd.Process.Pid)
	s.n.stop(t)
	t.Logf("killed holding %d messages; after the restart, peak RSS %d MB", held, peak>>20)
	if peak > soakMaxRSS {
		t.Errorf("peak RSS after the restart %d MB, over %d MB", peak>>20, soakMaxRSS>>20)
	}
	if n := soakCount1(t, db, `SELECT count(*) FROM (SELECT ref FROM outbox WHERE kind = 'imip' GROUP BY ref HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d recipients have two messages for one meeting", n)
	}
	if n := soakCount1(t, db, `SELECT count(*) FROM outbox WHERE status <> 'done'`); n != 0 {
		t.Errorf("%d messages not delivered (dead or pending)", n)
	}
}

// meeting creates the largest meeting allowed and returns its id.
func (s *soak) meeting() string {
	return soakMeeting(s.t, s.n.url, s.token, s.calID, s.everyone)
}

func (s *soak) waitDelivered(eventID string) {
	soakWaitDelivered(s.t, s.n.url, s.token, eventID, len(s.everyone))
}

func (s *soak) checkMail(n int) { soakCheckMail(s.t, s.mailDir(), s.guests, n) }

// peakRSS reads a process's peak resident set size (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// soakMeeting creates the meeting and returns its id.
func soakMeeting(t *testing.T, url, token, calID string, attendees []string) string {
	t.Helper()
	code, body := soakDo(t, "POST", url+"/api/v1/events", token, soakEvent(calID, attendees))
	var ev struct {
		ID string `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &ev) != nil {
		t.Fatalf("the meeting: %d %.300s", code, body)
	}
	return ev.ID
}

// soakWaitDelivered waits until the organizer sees every invitation of
// the event delivered or sent.
func soakWaitDelivered(t *testing.T, url, token, eventID string, want int) {
	t.Helper()
	for deadline := time.Now().Add(soakWait); ; time.Sleep(200 * time.Millisecond) {
		done := soakDelivered(t, url, token, eventID)
		if done == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d invitations delivered", soakWait, done, want)
		}
	}
}

// soakCheckMail checks that each guest, and nobody else, has n messages.
func soakCheckMail(t *testing.T, dir string, guests []string, n int) {
	t.Helper()
	got := soakRecipients(t, dir)
	for _, g := range guests {
		if got[g] != n {
			t.Errorf("%s got %d invitations, want %d", g, got[g], n)
		}
	}
	if len(got) != len(guests) {
		t.Errorf("mail went to %d addresses, want the %d guests", len(got), len(guests))
	}
}

// soakCount counts the .eml files in dir.
func soakCount(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// soakExec runs a statement on the stopped server's SQLite database and
// returns the rows it changed.
func soakExec(t *testing.T, path, stmt string) int64 {
	t.Helper()
	db := soakDB(t, path)
	res, err := db.Exec(stmt)
	if err != nil {
		t.Fatal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// soakCount1 runs a query of one number on the stopped server's database.
func soakCount1(t *testing.T, path, query string) int64 {
	t.Helper()
	var n int64
	if err := soakDB(t, path).QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func soakDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// soakDo sends a JSON request and returns the status and body.
func soakDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// soakUser registers name (name@almanac.test) and returns a token.
func soakUser(t *testing.T, url, name string) string {
	t.Helper()
	code, body := soakDo(t, "POST", url+"/api/v1/users/register", "", `{"name":"`+name+`","email":"`+name+`@almanac.test","password":"correct horse battery"}`)
	if code != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, code, body)
	}
	code, body = soakDo(t, "POST", url+"/api/v1/users/login", "", `{"login":"`+name+`","password":"correct horse battery"}`)
	var login struct {
		Token string `json:"token"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &login) != nil {
		t.Fatalf("login %s: %d %s", name, code, body)
	}
	return login.Token
}

// soakCalendar returns the id of the user's first calendar.
func soakCalendar(t *testing.T, url, token string) string {
	t.Helper()
	code, body := soakDo(t, "GET", url+"/api/v1/calendars", token, "")
	var cals []struct {
		ID string `json:"id"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &cals) != nil || len(cals) == 0 {
		t.Fatalf("calendars: %d %s", code, body)
	}
	return cals[0].ID
}

// soakAgenda is the description of the soak meeting: some kilobytes, as
// an agenda with links is.
var soakAgenda = strings.Repeat("Agenda item, with notes and a link to https://example.net/notes. ", 120)

func soakEvent(calID string, attendees []string) string {
	var list []string
	for i, a := range attendees {
		list = append(list, fmt.Sprintf(`{"email":%q,"name":"Attendee Number %d"}`, a, i))
	}
	return `{"calendar_id":"` + calID + `","title":"All hands","description":"` + soakAgenda + `",` +
		`"start":{"date_time":"2030-03-04T15:00:00","time_zone":"Europe/Berlin"},"end":{"date_time":"2030-03-04T16:00:00","time_zone":"Europe/Berlin"},` +
		`"attendees":[` + strings.Join(list, ",") + `]}`
}

func soakICS(attendees []string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//soak//EN\r\nBEGIN:VEVENT\r\nUID:soak-caldav\r\nDTSTAMP:20300101T000000Z\r\n")
	b.WriteString("DTSTART:20300304T140000Z\r\nDTEND:20300304T150000Z\r\nSUMMARY:All hands\r\nORGANIZER:mailto:olga@almanac.test\r\n")
	for _, a := range attendees {
		b.WriteString("ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:" + a + "\r\n")
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// soakCalDAV PUTs data into user's first calendar over CalDAV.
func soakCalDAV(t *testing.T, url, user, data string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", url+"/dav/calendars/"+user+"/calendar/soak.ics", strings.NewReader(data))
	req.SetBasicAuth(user, "correct horse battery")
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// soakDelivered counts the event's invitations the organizer sees as
// delivered (local users) or sent (e-mail).
func soakDelivered(t *testing.T, url, token, eventID string) int {
	t.Helper()
	code, body := soakDo(t, "GET", url+"/api/v1/invitations/"+eventID, token, "")
	var list []struct {
		Delivery string `json:"delivery"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("invitations: %d %.300s", code, body)
	}
	n := 0
	for _, in := range list {
		if in.Delivery == "delivered" || in.Delivery == "sent" {
			n++
		}
	}
	return n
}

// soakRecipients counts the .eml files in dir by envelope recipient.
func soakRecipients(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The drop file starts with X-Envelope-From, then X-Envelope-To.
		lines := bytes.SplitN(data, []byte("\r\n"), 3)
		to, ok := bytes.CutPrefix(lines[min(1, len(lines)-1)], []byte("X-Envelope-To: "))
		if !ok {
			t.Fatalf("%s: no envelope recipient", f)
		}
		out[string(to)]++
	}
	return out
}
