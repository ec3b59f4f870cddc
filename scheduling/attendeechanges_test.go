package scheduling

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/emersion/go-ical"
)

// rewrite has user write their copy of uid back, changed by edit, with
// the copy's Schedule-Tag as the client's condition.
func (e *env) rewrite(user, uid string, edit func(obj *icalendar.Object)) error {
	e.t.Helper()
	e.eventually(user+"'s copy", func() bool { o, _ := e.copyOf(user, uid); return o != nil })
	o, obj := e.copyOf(user, uid)
	edit(obj)
	data, err := icalendar.Marshal(obj.Calendar.Component)
	if err != nil {
		e.t.Fatal(err)
	}
	cal, err := e.st.GetCalendar(context.Background(), o.CalendarID)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.cals.PutObject(context.Background(), e.users[user], cal, o.Name, data, store.Conditions{IfScheduleTagMatch: &o.ScheduleTag})
	return err
}

// settled waits until the outbox has nothing left to deliver.
func (e *env) settled() {
	e.t.Helper()
	e.eventually("the outbox to drain", func() bool {
		msgs, err := e.st.ListOutbox(context.Background(), "pending", 1)
		return err == nil && len(msgs) == 0
	})
}

func answer(addr, ps string) func(*icalendar.Object) {
	return func(obj *icalendar.Object) {
		for _, c := range obj.Components {
			itip.SetPartStat(c.Component, addr, ps)
		}
	}
}

// Answers made within one second are alike to the byte (DTSTAMP has
// whole seconds) and are all sent, and the organizer ends with the last
// (RFC 5546 §2.1.5), however the outbox delivers them.
func TestAnswersWithinOneSecond(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, func(o *Options) { o.Now = func() time.Time { return now } })
		const bob = "mailto:bob@almanac.test"
		e.put(e.users["alice"], e.work, "m.ics", event("quick-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "quick-1"); return o != nil })
		for _, ps := range []string{itip.Declined, itip.Accepted, itip.Declined} {
			if err := e.rewrite("bob", "quick-1", answer(bob, ps)); err != nil {
				t.Fatal(err)
			}
		}
		e.settled()
		if got := e.partstat("alice", "quick-1", "", "bob"); got != itip.Declined {
			t.Errorf("alice sees bob %s, want DECLINED", got)
		}
	})
}

// RFC 6638 §3.2.2.1 leaves ORGANIZER and SEQUENCE to the organizer: an
// attendee's write that changes them still answers the organizer, with
// the copy's SEQUENCE, and leaves the copy attached to the meeting.
func TestAttendeeKeepsOrganizerData(t *testing.T) {
	const bob = "mailto:bob@almanac.test"
	setOrganizer := func(v string) func(*icalendar.Object) {
		return func(obj *icalendar.Object) {
			for _, c := range obj.Components {
				if v == "" {
					c.Props.Del(ical.PropOrganizer)
				} else {
					c.Props.Set(&ical.Prop{Name: ical.PropOrganizer, Params: ical.Params{}, Value: v})
				}
			}
		}
	}
	setSeq := func(v string) func(*icalendar.Object) {
		return func(obj *icalendar.Object) {
			for _, c := range obj.Components {
				setSequence(c.Component, &ical.Prop{Name: ical.PropSequence, Value: v})
				if v == "" {
					c.Props.Del(ical.PropSequence)
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*icalendar.Object)
	}{
		{"lower SEQUENCE", setSeq("0")},
		{"no SEQUENCE", setSeq("")},
		{"another ORGANIZER", setOrganizer("mailto:mallory@example.net")},
		{"no ORGANIZER", setOrganizer("")},
		{"the attendee as ORGANIZER", setOrganizer(bob)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				e := newEnv(t, st)
				e.put(e.users["alice"], e.work, "m.ics", event("org-1", 2, "", "bob@almanac.test", "dave@almanac.test"), store.Conditions{IfNoneMatch: true})
				e.eventually("the copies", func() bool {
					b, _ := e.copyOf("bob", "org-1")
					d, _ := e.copyOf("dave", "org-1")
					return b != nil && d != nil
				})
				before, _ := e.copyOf("dave", "org-1")
				err := e.rewrite("bob", "org-1", func(obj *icalendar.Object) { tc.edit(obj); answer(bob, itip.Accepted)(obj) })
				if err != nil {
					t.Fatal(err)
				}
				e.eventually("bob's answer at alice", func() bool { return e.partstat("alice", "org-1", "", "bob") == itip.Accepted })
				o, obj := e.copyOf("bob", "org-1")
				if o.Role != store.SchedAttendee || o.ScheduleTag == "" || organizer(obj) != "mailto:alice@almanac.test" || masterSequence(obj) != 2 {
					t.Errorf("bob's copy: %+v organizer %q sequence %d", o.Scheduling, organizer(obj), masterSequence(obj))
				}
				e.settled()
				if len(e.mailTo("mallory@example.net")) != 0 {
					t.Error("an answer went to the ORGANIZER the attendee wrote")
				}
				if after, _ := e.copyOf("dave", "org-1"); after.ScheduleTag != before.ScheduleTag {
					t.Error("the attendee's write invited the other attendees again")
				}
			})
		})
	}
}

// An attendee leaves a meeting by declining or deleting it; a write that
// takes them out of the attendees is refused with RFC 6638's
// precondition rather than detaching the copy.
func TestAttendeeCannotUninviteThemselves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.put(e.users["alice"], e.work, "m.ics", event("self-1", 0, "", "bob@almanac.test"), store.Conditions{IfNoneMatch: true})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "self-1"); return o != nil })
		err := e.rewrite("bob", "self-1", func(obj *icalendar.Object) {
			for _, c := range obj.Components {
				for i, p := range c.Props[ical.PropAttendee] {
					c.Props[ical.PropAttendee][i].Value = strings.Replace(p.Value, "bob@", "robert@", 1)
				}
			}
		})
		var oe *calendar.ObjectError
		if !errors.As(err, &oe) || oe.Precondition != calendar.PreAttendeeChange {
			t.Fatalf("write: %v", err)
		}
		if o, obj := e.copyOf("bob", "self-1"); o.Role != store.SchedAttendee || !itip.Invited(obj.Master().Component, "mailto:bob@almanac.test") {
			t.Errorf("bob's copy changed: %+v", o.Scheduling)
		}
	})
}
