package jsonapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// editor applies an EventRequest to a VEVENT in place: it changes the
// properties the JSON form shows and leaves every other property,
// parameter and subcomponent as it is, so that what other clients wrote
// survives a JSON edit.
type editor struct {
	in      *EventRequest
	replace bool // POST and PUT: fields left out are cleared
	user    *store.User
	now     time.Time
	// written collects the TZIDs the edit wrote, whose VTIMEZONEs are
	// generated afresh.
	written map[string]*time.Location
	// cur are the component's start and end before the edit (zero for a
	// new event).
	cur span
	// fresh is set for a component the edit creates.
	fresh bool
	// recurChanged is set when the edit changed the recurrence.
	recurChanged bool
	// significant is set by changes that oblige the organizer to raise
	// SEQUENCE (RFC 5545 §3.8.7.4).
	significant bool
}

// span is a start and an end in the forms the data writes them.
type span struct{ start, end icalendar.DateTime }

func newEditor(in *EventRequest, replace bool, u *store.User, now time.Time) *editor {
	return &editor{in: in, replace: replace, user: u, now: now, written: map[string]*time.Location{}}
}

func invalid(field, format string, args ...any) *Problem {
	return fieldProblem(http.StatusUnprocessableEntity, field, fmt.Sprintf(format, args...))
}

// apply edits c. override says that c is an override of one instance,
// which has no recurrence of its own.
func (e *editor) apply(c *ical.Component, override bool) error {
	steps := []func(*ical.Component) error{
		e.texts,
		e.keywords,
		e.times,
		func(c *ical.Component) error { return e.recurrence(c, override) },
		e.people,
		func(c *ical.Component) error { return e.reminders(c) },
	}
	for _, step := range steps {
		if err := step(c); err != nil {
			return err
		}
	}
	stamp := e.now.UTC().Format("20060102T150405Z")
	for _, name := range []string{ical.PropDateTimeStamp, ical.PropLastModified} {
		p := ical.NewProp(name)
		p.Value = stamp
		c.Props.Set(p)
	}
	if e.significant && !e.fresh {
		seq := 0
		if p := c.Props.Get(ical.PropSequence); p != nil {
			seq, _ = p.Int()
		}
		setValue(c, ical.PropSequence, fmt.Sprint(seq+1))
	}
	return nil
}

// setValue sets a property's raw value, keeping the parameters of the
// first one of that name.
func setValue(c *ical.Component, name, value string) {
	p := ical.NewProp(name)
	if old := c.Props.Get(name); old != nil {
		p.Params = old.Params
	}
	p.Value = value
	c.Props.Set(p)
}

// setText sets a TEXT property (RFC 5545 §3.3.11), removes it when v is
// empty, and leaves it alone when it already says v. A changed value
// loses an ALTREP, which described the old one.
func setText(c *ical.Component, name, v string) {
	old := c.Props.Get(name)
	switch {
	case v == "":
		c.Props.Del(name)
	case old != nil && icalendar.UnescapeText(old.Value) == v:
	default:
		setValue(c, name, icalendar.EscapeText(v))
		c.Props.Get(name).Params.Del(ical.ParamAltRep)
	}
}

// checkText rejects control characters, which TEXT cannot carry (RFC 5545
// §3.3.11) except as the escaped line break.
func checkText(field, v string) error {
	for _, r := range v {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

func (e *editor) texts(c *ical.Component) error {
	in := e.in
	for _, f := range []struct {
		field, prop string
		v           *string
	}{
		{"title", ical.PropSummary, in.Title},
		{"description", ical.PropDescription, in.Description},
		{"location", ical.PropLocation, in.Location},
	} {
		if !in.has(f.field, e.replace) {
			continue
		}
		v := ""
		if f.v != nil {
			// TEXT has one line break, the escaped LF (RFC 5545 §3.3.11).
			v = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(*f.v)
		}
		if err := checkText(f.field, v); err != nil {
			return err
		}
		setText(c, f.prop, v)
	}
	if in.has("color", e.replace) {
		v := ""
		if in.Color != nil {
			v = strings.ToLower(strings.TrimSpace(*in.Color))
		}
		if _, ok := cssColors[v]; v != "" && !ok {
			return invalid("color", "must be a CSS3 colour name such as teal (RFC 7986 §5.9)")
		}
		setText(c, "COLOR", v)
	}
	return nil
}

// keywords sets STATUS and TRANSP. Their defaults (no STATUS: confirmed;
// no TRANSP: opaque, RFC 5545 §3.8.2.7) are not written out.
func (e *editor) keywords(c *ical.Component) error {
	in := e.in
	for _, f := range []struct {
		field, prop, def string
		v                *string
		allowed          []string
	}{
		{"status", ical.PropStatus, "confirmed", in.Status, []string{"confirmed", "tentative", "cancelled"}},
		{"transparency", ical.PropTransparency, "opaque", in.Transparency, []string{"opaque", "transparent"}},
	} {
		if !in.has(f.field, e.replace) {
			continue
		}
		v := f.def
		if f.v != nil && *f.v != "" {
			v = strings.ToLower(*f.v)
		}
		if !contains(f.allowed, v) {
			return invalid(f.field, "must be one of %s", strings.Join(f.allowed, ", "))
		}
		cur := f.def
		if p := c.Props.Get(f.prop); p != nil {
			cur = strings.ToLower(strings.TrimSpace(p.Value))
		}
		if cur == v {
			continue
		}
		if f.prop == ical.PropStatus {
			e.significant = true
		}
		setValue(c, f.prop, strings.ToUpper(v))
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// times sets DTSTART and DTEND (dropping DURATION). A PATCH that moves the
// start alone keeps the event's length.
func (e *editor) times(c *ical.Component) error {
	in := e.in
	hasStart, hasEnd := in.has("start", e.replace), in.has("end", e.replace)
	if !hasStart && !hasEnd {
		return nil
	}
	switch {
	case hasStart && in.Start == nil:
		return invalid("start", "is required")
	case hasEnd && in.End == nil && e.replace:
		return invalid("end", "is required")
	}
	next := e.cur
	var err error
	if in.Start != nil {
		if next.start, err = parseEventTime("start", in.Start); err != nil {
			return err
		}
	}
	if in.End != nil {
		if next.end, err = parseEventTime("end", in.End); err != nil {
			return err
		}
	} else if next.end, err = keepLength(e.cur, next.start); err != nil {
		return err
	}
	next.start, next.end = keepSpelling(next.start, e.cur.start), keepSpelling(next.end, e.cur.end)
	if err := checkSpan(next); err != nil {
		return err
	}
	if sameValue(next.start, e.cur.start) && sameValue(next.end, e.cur.end) {
		return nil // unchanged: DTEND or DURATION stays as written
	}
	e.significant = true
	for _, v := range []struct {
		prop      string
		next, cur icalendar.DateTime
	}{{ical.PropDateTimeStart, next.start, e.cur.start}, {ical.PropDateTimeEnd, next.end, e.cur.end}} {
		if sameValue(v.next, v.cur) && c.Props.Get(v.prop) != nil {
			continue // as written, TZID spelling and VTIMEZONE included
		}
		c.Props.Set(v.next.Prop(v.prop))
		if v.next.Kind == icalendar.Zoned {
			e.written[v.next.TZID] = v.next.Time.Location()
		}
	}
	c.Props.Del(ical.PropDuration)
	e.cur = next
	return nil
}

// keepLength is the end of an event moved to start that keeps the length
// it had (whole days for an all-day event).
func keepLength(cur span, start icalendar.DateTime) (icalendar.DateTime, error) {
	if cur.start.IsZero() || cur.start.IsDate() != start.IsDate() {
		return icalendar.DateTime{}, invalid("end", "is required when start changes between a date and a date_time")
	}
	if start.IsDate() {
		days := int(cur.end.Time.Sub(cur.start.Time).Hours() / 24)
		return icalendar.NewDate(start.Time.AddDate(0, 0, days)), nil
	}
	length := cur.end.In(time.UTC).Sub(cur.start.In(time.UTC))
	return atForm(start.In(time.UTC).Add(length), start), nil
}

// checkSpan enforces RFC 5545 §3.6.1 and §3.8.2.2: both ends of the same
// value type, and the end after the start.
func checkSpan(s span) error {
	switch {
	case s.start.IsDate() != s.end.IsDate():
		return invalid("end", "must be a date when start is one, and a date_time when start is one")
	case !s.end.In(time.UTC).After(s.start.In(time.UTC)):
		return invalid("end", "must be after start")
	}
	return nil
}

// keepSpelling returns cur when v means the same as it: a client that
// sends back the time it read must not turn the Outlook TZID it came with
// into the IANA name it was shown, or a zone known only by its VTIMEZONE
// into the UTC offset it was shown.
func keepSpelling(v, cur icalendar.DateTime) icalendar.DateTime {
	if cur.IsZero() || v.IsZero() {
		return v
	}
	switch {
	case v.Kind == icalendar.Zoned && cur.Kind == icalendar.Zoned:
		name := zoneName(cur.Time.Location())
		if name != "" && name == zoneName(v.Time.Location()) && v.Wall().Equal(cur.Wall()) {
			return cur
		}
	case v.Kind == icalendar.UTC && cur.Kind == icalendar.Zoned:
		if zoneName(cur.Time.Location()) == "" && v.Time.Equal(cur.Time) {
			return cur
		}
	}
	return v
}

// sameValue reports whether two values are written alike.
func sameValue(a, b icalendar.DateTime) bool {
	return a.Kind == b.Kind && a.TZID == b.TZID && a.String() == b.String()
}

// atForm is the value that writes t (an instant for absolute forms, a
// wall clock labelled UTC for the others) in the form of form.
func atForm(t time.Time, form icalendar.DateTime) icalendar.DateTime {
	switch form.Kind {
	case icalendar.Date:
		return icalendar.NewDate(t)
	case icalendar.Floating:
		return icalendar.NewFloating(t)
	case icalendar.Zoned:
		loc := form.Time.Location()
		return icalendar.NewZoned(t.In(loc), form.TZID, loc)
	}
	return icalendar.NewUTC(t)
}

// recurrenceProps are the properties the recurrence field stands for.
var recurrenceProps = []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE"}

func (e *editor) recurrence(c *ical.Component, override bool) error {
	in := e.in
	if !in.has("recurrence", e.replace) {
		return nil
	}
	if override {
		if len(list(in.Recurrence)) > 0 {
			return invalid("recurrence", "belongs to the series; an instance has none")
		}
		return nil
	}
	props, err := parseRecurrence(list(in.Recurrence))
	if err != nil {
		return err
	}
	var before, after []string
	for _, name := range recurrenceProps {
		for _, p := range c.Props.Values(name) {
			before = append(before, propLine(p))
		}
	}
	for _, p := range props {
		after = append(after, propLine(p))
	}
	if strings.Join(before, "\n") == strings.Join(after, "\n") {
		return nil
	}
	for _, name := range recurrenceProps {
		c.Props.Del(name)
	}
	for i := range props {
		c.Props.Add(&props[i])
	}
	e.significant, e.recurChanged = true, true
	return nil
}

// parseRecurrence reads recurrence lines: RRULE, RDATE and EXDATE content
// lines as Google's API takes them. Each is parsed by package icalendar
// as part of a VEVENT, so that it gets the same checks as data sent over
// CalDAV, and its errors name the line.
func parseRecurrence(lines []string) ([]ical.Prop, error) {
	var out []ical.Prop
	rules := 0
	for i, line := range lines {
		field := fmt.Sprintf("recurrence[%d]", i)
		name := strings.ToUpper(strings.TrimSpace(line))
		if j := strings.IndexAny(name, ";:"); j >= 0 {
			name = name[:j]
		}
		switch {
		case strings.ContainsAny(line, "\r\n"):
			return nil, invalid(field, "must be one line")
		case name == ical.PropRecurrenceRule:
			if rules++; rules > 1 {
				return nil, invalid(field, "is a second RRULE; RFC 5545 §3.8.5.3 allows one")
			}
		case name != ical.PropRecurrenceDates && name != ical.PropExceptionDates:
			return nil, invalid(field, "must be an RRULE, RDATE or EXDATE line, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO")
		}
		p, err := parseLine(line)
		if err != nil {
			return nil, invalid(field, "%s", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseLine parses and checks one recurrence property.
func parseLine(line string) (ical.Prop, error) {
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//recurrence//EN\r\nBEGIN:VEVENT\r\n" +
		strings.TrimSpace(line) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := icalendar.Parse([]byte(data))
	if err != nil {
		return ical.Prop{}, unwrapICal(err)
	}
	comps := cal.Components()
	if len(comps) != 1 {
		return ical.Prop{}, fmt.Errorf("is not a property line")
	}
	c := comps[0]
	if _, err := c.RRules(); err != nil {
		return ical.Prop{}, unwrapICal(err)
	}
	if _, err := c.RDates(); err != nil {
		return ical.Prop{}, unwrapICal(err)
	}
	if _, err := c.ExDates(); err != nil {
		return ical.Prop{}, unwrapICal(err)
	}
	for _, props := range c.Props {
		if len(props) == 1 {
			return props[0], nil
		}
	}
	return ical.Prop{}, fmt.Errorf("is not a property line")
}

// unwrapICal keeps the message of an icalendar error without its
// location, which names our scaffolding rather than the client's line.
func unwrapICal(err error) error {
	if e, ok := err.(*icalendar.Error); ok {
		return fmt.Errorf("%s", e.Msg)
	}
	return err
}
