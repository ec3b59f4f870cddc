package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/timezone"
)

// The generated events start in these three years: the present (late 2026)
// sits in the middle, so every view a simulated user opens has data.
var (
	spanFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	spanDays = 3 * 365
)

// zones are the users' home time zones, one per user in turn: both
// hemispheres, half-hour offsets and zones without DST.
var zones = []string{"Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
	"Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"}

func userName(n int) string  { return fmt.Sprintf("sim%05d", n) }
func userEmail(n int) string { return userName(n) + "@sim.almanac.test" }
func userZone(n int) string  { return zones[n%len(zones)] }

// simPassword is every generated user's password: the data set is for
// measurements, never for people.
const simPassword = "almanac-sim-password"

var titles = []string{"Team sync", "1:1", "Design review", "Lunch", "Dentist", "Standup", "Planning",
	"Customer call", "Gym", "Interview", "Retro", "Coffee with Sam", "Board meeting", "Yoga",
	"Flight", "Parents' evening", "Budget review", "Hackathon", "Release", "Book club"}

var places = []string{"", "", "Room 4.12", "Main office", "https://meet.example.org/abc-defg", "Café Central", "Home"}

// rules are the recurring events' rules with their weights; "%U" stands for
// an UNTIL in the event's own future. Most series end, as in real
// calendars: a course, a sprint's stand-ups, a project's weekly meeting.
var rules = []struct {
	weight int
	rule   string
}{
	{30, "FREQ=WEEKLY;COUNT=%C"},
	{15, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5"},
	{15, "FREQ=WEEKLY;UNTIL=%U"},
	{10, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=%C"},
	{10, "FREQ=MONTHLY;BYDAY=2TU;COUNT=12"},
	{5, "FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=%U"},
	{10, "FREQ=YEARLY"}, // birthdays: all-day, for ever
	{5, "FREQ=WEEKLY"},  // a standing meeting, for ever
}

// vtimezones holds each zone's VTIMEZONE, generated once.
var vtimezones sync.Map

func vtimezone(tzid string) string {
	if v, ok := vtimezones.Load(tzid); ok {
		return v.(string)
	}
	loc, err := time.LoadLocation(tzid)
	if err != nil {
		panic(err) // zones is a fixed list of IANA names
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Almanac//sim//EN")
	cal.Children = append(cal.Children, timezone.VTIMEZONE(loc, spanFrom.AddDate(-1, 0, 0), spanFrom.AddDate(5, 0, 0)))
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		panic(err)
	}
	s := b.String()
	s = s[strings.Index(s, "BEGIN:VTIMEZONE"):strings.Index(s, "END:VCALENDAR")]
	vtimezones.Store(tzid, s)
	return s
}

// simEvent returns event i of user n as a calendar object resource. The
// same (seed, n, i) always gives the same bytes. One event in five recurs
// (some with a moved instance or an exception), one in ten is all-day, most
// are in the user's own time zone with the rest in UTC or another zone, one
// in seven is a meeting with attendees from the user's block, and one in
// three has an alarm.
func simEvent(seed int64, n, i int) []byte {
	rnd := rand.New(rand.NewPCG(uint64(seed), uint64(n)<<24|uint64(i)))
	e := &eventWriter{rnd: rnd, n: n, i: i}
	e.cur = &e.body
	kind := rnd.IntN(100)
	switch {
	case kind < 10:
		e.allDay()
	case kind < 30:
		e.recurring()
	default:
		e.timed()
	}
	return e.bytes()
}

type eventWriter struct {
	rnd  *rand.Rand
	n, i int
	tzid string // "" for UTC and all-day events
	body strings.Builder
	over strings.Builder // an overridden instance, if any
	cur  *strings.Builder
}

func (e *eventWriter) line(format string, a ...any) {
	fmt.Fprintf(e.cur, format, a...)
	e.cur.WriteString("\r\n")
}

func (e *eventWriter) day() time.Time {
	return spanFrom.AddDate(0, 0, e.rnd.IntN(spanDays))
}

// start picks a working-hours start in a zone: the user's own mostly.
func (e *eventWriter) start() time.Time {
	d := e.day()
	h, m := 8+e.rnd.IntN(10), 30*e.rnd.IntN(2)
	switch r := e.rnd.IntN(20); {
	case r < 2:
		return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, time.UTC)
	case r < 4:
		e.tzid = zones[e.rnd.IntN(len(zones))]
	default:
		e.tzid = userZone(e.n)
	}
	loc, _ := time.LoadLocation(e.tzid)
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
}

func (e *eventWriter) stamp(name string, t time.Time) {
	if e.tzid == "" {
		e.line("%s:%s", name, t.UTC().Format("20060102T150405Z"))
		return
	}
	e.line("%s;TZID=%s:%s", name, e.tzid, t.Format("20060102T150405"))
}

func (e *eventWriter) common() {
	e.line("UID:sim-%d-%d@sim.almanac.test", e.n, e.i)
	e.line("DTSTAMP:20250101T000000Z")
	e.line("SUMMARY:%s", titles[e.rnd.IntN(len(titles))])
	if p := places[e.rnd.IntN(len(places))]; p != "" {
		e.line("LOCATION:%s", p)
	}
	if e.rnd.IntN(4) == 0 {
		e.line("DESCRIPTION:Agenda: review last week's notes\\, agree on next steps and owners. Bring the figures for item %d.", e.i)
	}
}

func (e *eventWriter) timed() {
	start := e.start()
	e.common()
	e.stamp("DTSTART", start)
	e.stamp("DTEND", start.Add(time.Duration(1+e.rnd.IntN(4))*30*time.Minute))
	if e.rnd.IntN(7) == 0 {
		e.attendees()
	}
	e.alarm()
}

func (e *eventWriter) allDay() {
	d := e.day()
	e.common()
	e.line("DTSTART;VALUE=DATE:%s", d.Format("20060102"))
	e.line("DTEND;VALUE=DATE:%s", d.AddDate(0, 0, 1+e.rnd.IntN(3)).Format("20060102"))
	e.line("TRANSP:TRANSPARENT")
	e.alarm()
}

func (e *eventWriter) recurring() {
	rule := pickRule(e.rnd)
	if rule == "FREQ=YEARLY" {
		d := e.day()
		e.common()
		e.line("DTSTART;VALUE=DATE:%s", d.Format("20060102"))
		e.line("RRULE:FREQ=YEARLY")
		e.line("TRANSP:TRANSPARENT")
		return
	}
	start := e.start()
	e.common()
	e.stamp("DTSTART", start)
	e.stamp("DTEND", start.Add(time.Hour))
	rule = strings.ReplaceAll(rule, "%C", fmt.Sprint(4+e.rnd.IntN(17)))
	rule = strings.ReplaceAll(rule, "%U", start.AddDate(0, 3+e.rnd.IntN(10), 0).UTC().Format("20060102T150405Z"))
	e.line("RRULE:%s", rule)
	if e.rnd.IntN(10) == 0 {
		e.stamp("EXDATE", start.AddDate(0, 0, 7))
	}
	if e.rnd.IntN(7) == 0 {
		e.attendees()
	}
	e.alarm()
	if e.rnd.IntN(10) == 0 && strings.HasPrefix(rule, "FREQ=WEEKLY;") && !strings.Contains(rule, "BYDAY") {
		e.override(start.AddDate(0, 0, 14))
	}
}

// override moves one instance of the series an hour later.
func (e *eventWriter) override(rid time.Time) {
	e.cur = &e.over
	defer func() { e.cur = &e.body }()
	e.line("UID:sim-%d-%d@sim.almanac.test", e.n, e.i)
	e.line("DTSTAMP:20250101T000000Z")
	e.stamp("RECURRENCE-ID", rid)
	e.line("SUMMARY:%s (moved)", titles[e.i%len(titles)])
	e.stamp("DTSTART", rid.Add(time.Hour))
	e.stamp("DTEND", rid.Add(2*time.Hour))
}

func pickRule(rnd *rand.Rand) string {
	w := rnd.IntN(100)
	for _, r := range rules {
		if w < r.weight {
			return r.rule
		}
		w -= r.weight
	}
	return rules[0].rule
}

// attendees invites two to four others from the user's block of ten.
func (e *eventWriter) attendees() {
	e.line("ORGANIZER;CN=%s:mailto:%s", userName(e.n), userEmail(e.n))
	e.line("ATTENDEE;CN=%s;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:%s", userName(e.n), userEmail(e.n))
	base := e.n - e.n%10
	stats := []string{"ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"}
	for k := 0; k < 2+e.rnd.IntN(3); k++ {
		m := base + (e.n-base+1+k)%10
		e.line("ATTENDEE;CN=%s;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;RSVP=TRUE:mailto:%s",
			userName(m), stats[e.rnd.IntN(len(stats))], userEmail(m))
	}
}

func (e *eventWriter) alarm() {
	if e.rnd.IntN(3) != 0 {
		return
	}
	e.line("BEGIN:VALARM")
	e.line("ACTION:DISPLAY")
	e.line("DESCRIPTION:Reminder")
	e.line("TRIGGER:-PT%dM", []int{5, 10, 15, 30, 60}[e.rnd.IntN(5)])
	e.line("END:VALARM")
}

func (e *eventWriter) bytes() []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//sim//EN\r\n")
	if e.tzid != "" {
		b.WriteString(vtimezone(e.tzid))
	}
	b.WriteString("BEGIN:VEVENT\r\n")
	b.WriteString(e.body.String())
	b.WriteString("END:VEVENT\r\n")
	if e.over.Len() > 0 {
		b.WriteString("BEGIN:VEVENT\r\n")
		b.WriteString(e.over.String())
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}
