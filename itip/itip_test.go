package itip

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-message/mail"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./itip -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func meeting(t *testing.T) *icalendar.Object {
	t.Helper()
	data, err := os.ReadFile("testdata/meeting.ics")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func mustParse(t *testing.T, data []byte) *Message {
	t.Helper()
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return m
}

func TestBuildRequest(t *testing.T) {
	obj := meeting(t)
	// Bob is invited to the series, Dave to one moved instance only.
	for _, who := range []string{"bob", "dave"} {
		dom := map[string]string{"bob": "mailto:BOB@example.net", "dave": "mailto:dave@example.com"}[who]
		data, err := BuildRequest(obj, dom, now)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "request-"+who+".ics", data)
		m := mustParse(t, data)
		if m.Method != Request || m.UID != "weekly-1@example.org" || m.Sequence != 2 {
			t.Errorf("%s: parsed %s %s %d", who, m.Method, m.UID, m.Sequence)
		}
		if bytes.Contains(data, []byte("VALARM")) || bytes.Contains(data, []byte("SCHEDULE-STATUS")) {
			t.Errorf("%s: alarms or scheduling parameters leaked:\n%s", who, data)
		}
	}
	if data, _ := BuildRequest(obj, "mailto:nobody@example.org", now); data != nil {
		t.Errorf("a request for someone not invited: %s", data)
	}
}

func TestBuildCancelAndReply(t *testing.T) {
	obj := meeting(t)
	data, err := BuildCancel(obj, "mailto:bob@example.net", nil, 3, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "cancel-bob.ics", data)
	if m := mustParse(t, data); m.Method != Cancel || m.Sequence != 3 || len(m.Components[0].Props.Values("ATTENDEE")) != 1 {
		t.Errorf("cancel: %+v", m)
	}
	reply, err := BuildReply(obj, "mailto:carol@example.org", obj.Components[:1], now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply-carol.ics", reply)
	m := mustParse(t, reply)
	if m.Attendee() != "mailto:carol@example.org" || PartStat(m.Components[0].Component, "mailto:carol@example.org") != Tentative {
		t.Errorf("reply attendee %q", m.Attendee())
	}
}

func TestApplyReplyDeclinesOneInstance(t *testing.T) {
	obj := meeting(t)
	// Bob declines the third week only: the organizer's copy gains an
	// override for it; the series keeps his old answer.
	reply := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:weekly-1@example.org\r\n" +
		"DTSTAMP:20260103T000000Z\r\nSEQUENCE:2\r\nRECURRENCE-ID:20260119T090000Z\r\nORGANIZER:mailto:alice@example.org\r\n" +
		"ATTENDEE;PARTSTAT=DECLINED:mailto:bob@example.net\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	m := mustParse(t, reply)
	if _, err := ApplyReply(obj, m, "mallory@example.net"); err == nil {
		t.Fatal("a reply from someone else was applied")
	}
	out, err := ApplyReply(obj, m, "BOB@example.net")
	if err != nil || !out.Changed || out.Instances[0] != "20260119T090000Z" {
		t.Fatalf("apply: %+v %v", out, err)
	}
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "organizer-after-reply.ics", data)
	again, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		t.Fatalf("the result is not a valid object: %v", err)
	}
	if PartStat(again.Master().Component, "mailto:bob@example.net") != NeedsAction {
		t.Error("the series answer changed")
	}
	if c := Component(again, "20260119T090000Z"); c == nil || PartStat(c.Component, "mailto:bob@example.net") != Declined {
		t.Error("no declined override")
	}
}

func TestParseRejects(t *testing.T) {
	base := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n%METHOD%BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART:20260101T100000Z\r\n%PROPS%END:VEVENT\r\nEND:VCALENDAR\r\n"
	mk := func(method, props string) []byte {
		return []byte(strings.NewReplacer("%METHOD%", method, "%PROPS%", props).Replace(base))
	}
	org := "ORGANIZER:mailto:a@example.org\r\n"
	cases := map[string][]byte{
		"no method":          mk("", org+"ATTENDEE:mailto:b@example.org\r\n"),
		"unknown method":     mk("METHOD:SHOUT\r\n", org),
		"no organizer":       mk("METHOD:REQUEST\r\n", "ATTENDEE:mailto:b@example.org\r\n"),
		"reply two":          mk("METHOD:REPLY\r\n", org+"ATTENDEE:mailto:b@example.org\r\nATTENDEE:mailto:c@example.org\r\n"),
		"reply none":         mk("METHOD:REPLY\r\n", org),
		"request no invitee": mk("METHOD:REQUEST\r\n", org),
		"not icalendar":      []byte("hello"),
		"huge":               bytes.Repeat([]byte("x"), MaxSize+1),
	}
	for name, data := range cases {
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAddress(t *testing.T) {
	if !SameAddress("MAILTO:Bob@Example.NET", " mailto:bob@example.net") {
		t.Error("mailto addresses must compare case-insensitively")
	}
	if Email("mailto:bob@example.net") != "bob@example.net" || Email("urn:uuid:1") != "" || Email("mailto:not an address") != "" {
		t.Error("Email")
	}
}

func testMail(t *testing.T) []byte {
	obj := meeting(t)
	cal, err := BuildRequest(obj, "mailto:bob@example.net", now)
	if err != nil {
		t.Fatal(err)
	}
	d := DetailsOf(mustParse(t, cal))
	d.Sender = "Alice"
	d.Links = []Link{{"Yes", "https://cal.example.org/rsvp/t1"}, {"No", "https://cal.example.org/rsvp/t2"}}
	text, html := Body(Request, d)
	m := &Mail{
		From:    &mail.Address{Name: "Alice via Almanac", Address: "calendar@example.org"},
		ReplyTo: &mail.Address{Name: "Alice", Address: "alice@example.org"},
		To:      []*mail.Address{{Address: "bob@example.net"}},
		Subject: Subject(Request, d.Summary, d.Start), Date: now, MessageID: "m1@example.org",
		Text: text, HTML: html, Method: Request, Calendar: cal, AutoSubmitted: true,
	}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMailRoundTrip(t *testing.T) {
	data := testMail(t)
	golden(t, "request-bob.eml", data)
	in, err := ParseMail(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if in.From != "calendar@example.org" || in.Message.Method != Request || in.Message.UID != "weekly-1@example.org" {
		t.Errorf("parsed %+v", in)
	}
}

func TestParseMailRejects(t *testing.T) {
	good := string(testMail(t))
	cases := map[string]string{
		"no calendar":  "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n",
		"no from":      "To: b@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
		"wrong method": strings.Replace(good, "method=REQUEST", "method=REPLY", 1),
		"huge":         "From: a@example.org\r\n\r\n" + strings.Repeat("x", MaxMailSize),
		"bad calendar": "From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nX;A=b\r\nEND:VCALENDAR\r\n",
	}
	for name, data := range cases {
		if _, err := ParseMail(strings.NewReader(data)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestApplyCancelRaisesSequence(t *testing.T) {
	obj := meeting(t)
	data, err := BuildCancel(obj, "mailto:bob@example.net", nil, 5, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyCancel(obj, mustParse(t, data)); err != nil {
		t.Fatal(err)
	}
	for _, c := range obj.Components {
		if n, _ := c.Sequence(); n != 5 || c.Status() != "CANCELLED" {
			t.Errorf("%s: SEQUENCE %d STATUS %s", RecurrenceKey(c), n, c.Status())
		}
	}
	// An older REQUEST is no longer newer than the copy.
	req, _ := BuildRequest(meeting(t), "mailto:bob@example.net", now.Add(time.Hour))
	if mustParse(t, req).Newer(5, Stamp(obj)) {
		t.Error("a REQUEST of SEQUENCE 2 would revive a copy cancelled at 5")
	}
}

// TestReinvites: a REQUEST made after a whole cancellation makes the event
// again whatever its SEQUENCE; one made before it does not, nor does any
// request for a copy that is not cancelled.
func TestReinvites(t *testing.T) {
	cancelled := meeting(t)
	data, err := BuildCancel(cancelled, "mailto:bob@example.net", nil, 5, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyCancel(cancelled, mustParse(t, data)); err != nil {
		t.Fatal(err)
	}
	request := func(at time.Time) *Message {
		req, err := BuildRequest(meeting(t), "mailto:bob@example.net", at)
		if err != nil {
			t.Fatal(err)
		}
		return mustParse(t, req)
	}
	for _, tc := range []struct {
		name string
		copy *icalendar.Object
		req  *Message
		want bool
	}{
		{"made after the cancellation", cancelled, request(now.Add(time.Minute)), true},
		{"made in the same second", cancelled, request(now), true},
		{"made before the cancellation", cancelled, request(now.Add(-time.Minute)), false},
		{"the copy is not cancelled", meeting(t), request(now.Add(time.Minute)), false},
	} {
		if got := tc.req.Reinvites(tc.copy); got != tc.want {
			t.Errorf("%s: Reinvites %v, want %v", tc.name, got, tc.want)
		}
	}
}
