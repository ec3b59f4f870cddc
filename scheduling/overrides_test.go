package scheduling

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/emersion/go-ical"
)

// declineWeek2 has bob's client decline the second week of uid.
func (e *env) declineWeek2(uid string) {
	e.t.Helper()
	if err := e.rewrite("bob", uid, func(obj *icalendar.Object) {
		ov, err := itip.Instantiate(obj.Master(), icalendar.NewUTC(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)).Prop(ical.PropRecurrenceID))
		if err != nil {
			e.t.Fatal(err)
		}
		itip.SetPartStat(ov, "mailto:bob@almanac.test", itip.Declined)
		obj.Calendar.Children = append(obj.Calendar.Children, ov)
	}); err != nil {
		e.t.Fatal(err)
	}
}

const week2 = "20260112T090000Z"

// An override the server added to an attendee's copy from another
// attendee's answer keeps the Schedule-Tag (RFC 6638 §3.2.10), so the
// attendee's client may write with that tag without having seen it: the
// server keeps it, and the attendee's answer to the series reaches it.
func TestAttendeeWriteKeepsServerOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const dave = "mailto:dave@almanac.test"
		e.put(e.users["alice"], e.work, "w.ics", event("weekly-2", 0, "RRULE:FREQ=WEEKLY;COUNT=4\r\n", "bob@almanac.test", "dave@almanac.test"), store.Conditions{})
		e.eventually("dave's copy", func() bool { o, _ := e.copyOf("dave", "weekly-2"); return o != nil })
		stale, staleObj := e.copyOf("dave", "weekly-2")

		e.declineWeek2("weekly-2")
		e.eventually("bob's answer in dave's copy", func() bool { return e.partstat("dave", "weekly-2", week2, "bob") == itip.Declined })
		if o, _ := e.copyOf("dave", "weekly-2"); o.ScheduleTag != stale.ScheduleTag {
			t.Fatal("the server's update changed dave's Schedule-Tag")
		}

		// Dave's client, which has not seen the override, accepts.
		answer(dave, itip.Accepted)(staleObj)
		data, _ := icalendar.Marshal(staleObj.Calendar.Component)
		cal, _ := st.GetCalendar(context.Background(), stale.CalendarID)
		e.put(e.users["dave"], cal, stale.Name, data, store.Conditions{IfScheduleTagMatch: &stale.ScheduleTag})

		if got := e.partstat("dave", "weekly-2", week2, "bob"); got != itip.Declined {
			t.Errorf("bob's answer for week 2 in dave's copy: %s", got)
		}
		if got := e.partstat("dave", "weekly-2", week2, "dave"); got != itip.Accepted {
			t.Errorf("dave's answer for week 2 in his copy: %s", got)
		}
		e.eventually("dave's answer at alice, series and week 2", func() bool {
			return e.partstat("alice", "weekly-2", "", "dave") == itip.Accepted && e.partstat("alice", "weekly-2", week2, "dave") == itip.Accepted
		})
		occ, err := e.cals.Instances(context.Background(), e.users["dave"], cal, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil)
		if err != nil || len(occ) != 4 {
			t.Errorf("dave sees %d instances (%v)", len(occ), err)
		}
	})
}

// The organizer's client writes a change without the override the
// server made from Bob's answer for week 2, and without a new SEQUENCE:
// the override is made again from the series as written, with Bob's
// answer, and Bob's copy keeps it too.
func TestOrganizerWriteKeepsAnsweredInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice := e.users["alice"]
		weekly := event("weekly-3", 0, "RRULE:FREQ=WEEKLY;COUNT=4\r\n", "bob@almanac.test", "dave@almanac.test")
		res := e.put(alice, e.work, "w.ics", weekly, store.Conditions{})
		e.eventually("bob's copy", func() bool { o, _ := e.copyOf("bob", "weekly-3"); return o != nil })
		e.declineWeek2("weekly-3")
		e.eventually("bob's answer at alice", func() bool { return e.partstat("alice", "weekly-3", week2, "bob") == itip.Declined })

		changed := strings.Replace(string(weekly), "SUMMARY:Planning\r\n", "SUMMARY:Planning\r\nDESCRIPTION:Agenda attached\r\n", 1)
		e.put(alice, e.work, "w.ics", []byte(changed), store.Conditions{IfScheduleTagMatch: &res.ScheduleTag})
		_, obj := e.copyOf("alice", "weekly-3")
		ov := itip.Component(obj, week2)
		if ov == nil || itip.PartStat(ov.Component, "mailto:bob@almanac.test") != itip.Declined {
			t.Fatal("alice's copy lost bob's answer for week 2")
		}
		if d, _ := ov.Props.Text(ical.PropDescription); d != "Agenda attached" {
			t.Errorf("week 2 was not made from the series as written: DESCRIPTION %q", d)
		}
		e.settled()
		if got := e.partstat("bob", "weekly-3", week2, "bob"); got != itip.Declined {
			t.Errorf("bob's copy shows him %s for week 2", got)
		}
	})
}
