package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookSink receives reminder webhooks and counts them by idempotency key.
type hookSink struct {
	mu   sync.Mutex
	keys map[string]int
	url  string
}

func startHookSink(t *testing.T) *hookSink {
	t.Helper()
	h := &hookSink{keys: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.keys[r.Header.Get("Idempotency-Key")]++
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// count returns how many webhooks arrived whose key contains part, and
// how many distinct keys they had.
func (h *hookSink) count(part string) (total, distinct int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, n := range h.keys {
		if strings.Contains(k, part) {
			total += n
			distinct++
		}
	}
	return total, distinct
}

// mailCount is the mail sink's count of reminder mail whose key contains
// part.
func (s *mailSink) count(part string) (total, distinct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, n := range s.keys {
		if strings.Contains(k, part) {
			total += n
			distinct++
		}
	}
	return total, distinct
}

// remindedUser registers name on n, gives them a calendar and a webhook,
// and returns their token and the calendar's CalDAV URL.
func remindedUser(t *testing.T, n *node, name, hook string, links *linkBox) (token, calURL string) {
	t.Helper()
	calURL = remindedCalendar(t, n, name, links)
	_, m := api(t, "POST", n.url+"/api/v1/users/login", "", `{"login":"`+name+`","password":"correct horse"}`)
	token, _ = m["token"].(string)
	if code, set := api(t, "PUT", n.url+"/api/v1/reminder-settings", token, `{"webhook_url":"`+hook+`"}`); code != 200 {
		t.Fatalf("reminder settings: %d %v", code, set)
	}
	return token, calURL
}

// alarmEvent is an event whose VALARMs are given as text, each of which
// may use %[1]s for the trigger time.
func putEvent(t *testing.T, base, calURL, user, uid string, at time.Time, alarms string) {
	t.Helper()
	body := strings.ReplaceAll(fmt.Sprintf(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:%[2]s
DTSTAMP:20260101T000000Z
DTSTART:%[3]s
DURATION:PT30M
SUMMARY:Event %[2]s
`+strings.TrimSpace(alarms)+`
END:VEVENT
END:VCALENDAR
`, at.UTC().Format("20060102T150405Z"), uid, at.Add(time.Hour).UTC().Format("20060102T150405Z"), user), "\n", "\r\n")
	req, _ := http.NewRequest("PUT", base+calURL+uid+".ics", strings.NewReader(body))
	req.SetBasicAuth(user, "correct horse")
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 204 {
		t.Fatalf("PUT %s: %d", uid, resp.StatusCode)
	}
}

// Alarms of the tests: a DISPLAY one (to open clients and the webhook)
// and an EMAIL one, triggering at %[1]s (UTC); %[4]s is the user.
const (
	displayAlarm = `BEGIN:VALARM
UID:show-%[2]s
ACTION:DISPLAY
DESCRIPTION:Soon
TRIGGER;VALUE=DATE-TIME:%[1]s
REPEAT:2
DURATION:PT8S
%[5]s
END:VALARM`
	mailAlarm = `BEGIN:VALARM
UID:mail-%[2]s
ACTION:EMAIL
SUMMARY:Soon
DESCRIPTION:Soon
ATTENDEE:mailto:%[4]s@example.com
TRIGGER;VALUE=DATE-TIME:%[1]s
REPEAT:2
DURATION:PT8S
%[5]s
END:VALARM`
)

// alarms fills in the ACKNOWLEDGED line (or nothing) of the alarm texts.
func alarms(ack string, list ...string) string {
	out := make([]string, len(list))
	for i, a := range list {
		if ack == "" {
			out[i] = strings.ReplaceAll(a, "%[5]s\n", "")
		} else {
			out[i] = strings.ReplaceAll(a, "%[5]s", ack)
		}
	}
	return strings.Join(out, "\n")
}

// sseFrom opens a stream resuming from lastID (none when empty); cancel
// drops the connection.
func sseFrom(t *testing.T, url, token, lastID string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", err, resp)
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.typ != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, cancel
}

// collect gathers the reminder events of a stream until it is cancelled
// or the test ends.
type collected struct {
	mu     sync.Mutex
	events []sseEvent
	lastID string
}

func collect(ch <-chan sseEvent) *collected {
	c := &collected{}
	go func() {
		for ev := range ch {
			c.mu.Lock()
			c.lastID = ev.id
			if ev.typ == "reminder" {
				c.events = append(c.events, ev)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

// count returns how many reminder events mention part.
func (c *collected) count(part string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ev := range c.events {
		if strings.Contains(ev.data, part) {
			n++
		}
	}
	return n
}

func (c *collected) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastID
}

// TestDismissStopsRepeatsEverywhere: two events with repeating reminders
// (every 8 s, twice) are dismissed once their first alert has arrived, one
// through the JSON API and one by a CalDAV client writing ACKNOWLEDGED
// (RFC 9074 §6); no repetition reaches the stream, the webhook or the
// mailbox. A third, not dismissed, repeats on every channel, so the test
// would see repeats if they went out.
func TestDismissStopsRepeatsEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	mail, hooks := startMailSink(t), startHookSink(t)
	n := startNode(t, buildBinary(t), append(mail.env(), "ALMANAC_DATA_DIR="+t.TempDir(), "ALMANAC_WEBHOOK_ALLOW_PRIVATE=true"))
	token, calURL := remindedUser(t, n, "dana", hooks.url, &mail.linkBox)
	ch, _ := sseFrom(t, n.url+"/api/v1/stream", token, "")
	stream := collect(ch)

	at := time.Now().Truncate(time.Second).Add(4 * time.Second)
	for _, uid := range []string{"api", "caldav", "kept"} {
		putEvent(t, n.url, calURL, "dana", uid, at, alarms("", displayAlarm, mailAlarm))
	}
	arrived := func(uid string) bool {
		_, h := hooks.count("show-" + uid)
		_, m := mail.count("mail-" + uid)
		return stream.count("show-"+uid) >= 1 && h >= 1 && m >= 1
	}
	waitFor(t, 20*time.Second, "the first alerts", func() bool { return arrived("api") && arrived("caldav") })
	if late := time.Since(at); late > 7*time.Second {
		t.Fatalf("the first alerts arrived %s after their time; the test needs them before the first repeat", late)
	}
	// Dismissed through the JSON API, as the web client does, and by a
	// CalDAV client acknowledging both alarms.
	var eventID string
	stream.mu.Lock()
	for _, ev := range stream.events {
		if strings.Contains(ev.data, "show-api") {
			eventID = jsonField(ev.data, "event_id")
		}
	}
	stream.mu.Unlock()
	for _, id := range []string{"show-api", "mail-api"} {
		if code, m := api(t, "POST", n.url+"/api/v1/reminders/"+eventID+"/"+id+"/dismiss", token, ""); code != 200 {
			t.Fatalf("dismiss %s: %d %v", id, code, m)
		}
	}
	ack := "ACKNOWLEDGED:" + time.Now().UTC().Format("20060102T150405Z")
	putEvent(t, n.url, calURL, "dana", "caldav", at, alarms(ack, displayAlarm, mailAlarm))
	dismissed := time.Since(at)

	// The kept event's two repetitions come 8 and 16 s after its alert.
	waitFor(t, 40*time.Second, "the repetitions of the event not dismissed", func() bool {
		_, h := hooks.count("show-kept")
		_, m := mail.count("mail-kept")
		return stream.count("show-kept") == 3 && h == 3 && m == 3
	})
	time.Sleep(2 * time.Second)
	for _, uid := range []string{"api", "caldav"} {
		_, h := hooks.count("show-" + uid)
		_, m := mail.count("mail-" + uid)
		if s := stream.count("show-" + uid); s != 1 || h != 1 || m != 1 {
			t.Errorf("%s, dismissed %s after its alert: %d stream events, %d webhooks, %d mails; want the alert alone",
				uid, dismissed.Round(time.Millisecond), s, h, m)
		}
	}
}

// jsonField pulls a string field out of a flat JSON object.
func jsonField(data, name string) string {
	_, rest, ok := strings.Cut(data, `"`+name+`":"`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// TestReminderAfterReconnect: a web client's stream drops, a reminder goes
// out meanwhile (the webhook shows it did), and the client reconnects with
// Last-Event-ID: the reminder is the first thing it is sent. With
// PostgreSQL it reconnects to another node than the one it left, which did
// not deliver the reminder to it.
func TestReminderAfterReconnect(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		env := []string{"ALMANAC_DATA_DIR=" + t.TempDir(), "ALMANAC_WEBHOOK_ALLOW_PRIVATE=true"}
		n := startNode(t, bin, env)
		reconnect(t, n, n)
	})
	t.Run("postgres, two nodes", func(t *testing.T) {
		env := append(postgresEnv(t), "ALMANAC_WEBHOOK_ALLOW_PRIVATE=true")
		a := startNode(t, bin, env)
		b := startNode(t, bin, append(env, "ALMANAC_DATA_DIR="+t.TempDir()))
		reconnect(t, a, b)
	})
}

func reconnect(t *testing.T, first, second *node) {
	hooks := startHookSink(t)
	token, calURL := remindedUser(t, first, "remy", hooks.url, nil) // reminders on screen and by webhook: no address needed
	ch, drop := sseFrom(t, first.url+"/api/v1/stream", token, "")
	before := collect(ch)
	// A change gives the client a position.
	putEvent(t, first.url, calURL, "remy", "setup", time.Now().Add(time.Hour), "")
	waitFor(t, 10*time.Second, "the first change event", func() bool { return before.last() != "" })
	drop()
	at := time.Now().Truncate(time.Second).Add(2 * time.Second)
	putEvent(t, first.url, calURL, "remy", "away", at, alarms("", displayAlarm))
	waitFor(t, 20*time.Second, "the reminder to go out", func() bool { _, d := hooks.count("show-away"); return d == 1 })
	if before.count("show-away") != 0 {
		t.Fatal("the dropped stream got the reminder")
	}
	ch, _ = sseFrom(t, second.url+"/api/v1/stream", token, before.last())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		ev := waitEvent(t, ch, 10*time.Second)
		if ev.typ == "reminder" {
			if !strings.Contains(ev.data, "show-away") || jsonField(ev.data, "description") != "Soon" {
				t.Fatalf("replayed %s", ev.data)
			}
			return
		}
	}
	t.Fatal("no reminder after reconnecting")
}

// TestRemindersAfterDowntime stops the server before two reminders come
// due, one queued already and one not yet (the lookahead is 10 s), and
// starts it after their time: both go out at once (within 3 s of the
// start, where the scheduler's first pass and the outbox's first lease
// run), and once, on every channel, even after a second restart.
func TestRemindersAfterDowntime(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		downtime(t, bin, []string{"ALMANAC_DATA_DIR=" + t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		downtime(t, bin, postgresEnv(t))
	})
}

func downtime(t *testing.T, bin string, env []string) {
	mail, hooks := startMailSink(t), startHookSink(t)
	env = append(append(mail.env(), "ALMANAC_WEBHOOK_ALLOW_PRIVATE=true", "ALMANAC_REMINDER_LOOKAHEAD=10s"), env...)
	n := startNode(t, bin, env)
	token, calURL := remindedUser(t, n, "otto", hooks.url, &mail.linkBox)
	now := time.Now().Truncate(time.Second)
	queued, later := now.Add(6*time.Second), now.Add(14*time.Second)
	putEvent(t, n.url, calURL, "otto", "queued", queued, alarms("", strings.ReplaceAll(displayAlarm, "REPEAT:2", "REPEAT:0"),
		strings.ReplaceAll(mailAlarm, "REPEAT:2", "REPEAT:0")))
	putEvent(t, n.url, calURL, "otto", "later", later, alarms("", strings.ReplaceAll(displayAlarm, "REPEAT:2", "REPEAT:0"),
		strings.ReplaceAll(mailAlarm, "REPEAT:2", "REPEAT:0")))
	// The scheduler looks every 250 ms: let it queue the first.
	time.Sleep(time.Second)
	if time.Now().After(queued.Add(-2 * time.Second)) {
		t.Skip("the machine is too slow to stop the server before the first reminder")
	}
	n.stop(t)
	if _, d := hooks.count(""); d != 0 {
		t.Fatalf("%d reminders went out before their time", d)
	}
	time.Sleep(time.Until(later.Add(2 * time.Second)))

	started := time.Now()
	n = startNode(t, bin, env)
	ready := time.Since(started)
	all := func() bool {
		_, h := hooks.count("")
		_, m := mail.count("")
		return h == 2 && m == 2
	}
	waitFor(t, 60*time.Second, "the overdue reminders", all)
	if late := time.Since(started) - ready; late > 3*time.Second {
		t.Errorf("the overdue reminders went out %s after the server was ready; want at once", late.Round(time.Millisecond))
	} else {
		t.Logf("the overdue reminders went out %s after the server was ready", late.Round(time.Millisecond))
	}
	// The stream of a client that comes back shows them, once.
	ch, cancel := sseFrom(t, n.url+"/api/v1/stream", token, "r:0")
	stream := collect(ch)
	waitFor(t, 10*time.Second, "the replayed reminders", func() bool { return stream.count("show-queued") == 1 && stream.count("show-later") == 1 })
	cancel()

	n.stop(t)
	n = startNode(t, bin, env)
	time.Sleep(3 * time.Second)
	for _, uid := range []string{"queued", "later"} {
		h, _ := hooks.count("show-" + uid)
		m, _ := mail.count("mail-" + uid)
		if h != 1 || m != 1 {
			t.Errorf("%s: %d webhooks and %d mails after two restarts; want one each", uid, h, m)
		}
	}
	n.stop(t)
}
