package scheduling

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
	"github.com/emersion/go-ical"
)

// TestAttendeeRemovesInstance: an attendee's client that deletes one
// occurrence with EXDATE (Apple Calendar, or Thunderbird, which drops
// the instance's override too) declines it to the organizer (RFC 6638
// §3.2.2.3); their answer to the series stays.
func TestAttendeeRemovesInstance(t *testing.T) {
	cases := []struct {
		name, key string
		edit      func(obj *icalendar.Object)
	}{
		{"EXDATE on an instance of the series", "20260323T080000Z", func(obj *icalendar.Object) {
			obj.Master().Props.Add(&ical.Prop{Name: ical.PropExceptionDates, Params: ical.Params{"TZID": {"Europe/Berlin"}}, Value: "20260323T090000"})
		}},
		{"beside an EXDATE that removes nothing", "20260323T080000Z", func(obj *icalendar.Object) {
			obj.Master().Props.Add(&ical.Prop{Name: ical.PropExceptionDates, Params: ical.Params{"TZID": {"Europe/Berlin"}}, Value: "20260324T090000,20260323T090000"})
		}},
		{"EXDATE and its override dropped", "20260316T080000Z", func(obj *icalendar.Object) {
			obj.Master().Props.Add(&ical.Prop{Name: ical.PropExceptionDates, Params: ical.Params{}, Value: "20260316T080000Z"})
			obj.Calendar.Children = slices.DeleteFunc(obj.Calendar.Children, func(c *ical.Component) bool {
				return c.Props.Get(ical.PropRecurrenceID) != nil
			})
		}},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		alice, bob := e.users["alice"], e.users["bob"]
		for i, tc := range cases {
			uid := fmt.Sprintf("removed-%d", i)
			data := bytes.ReplaceAll(answersFile(t, "weekly.ics"), []byte(weeklyUID), []byte(uid))
			e.put(alice, e.work, uid+".ics", data, store.Conditions{})
			e.accept("bob", uid)
			o, obj := e.copyOf("bob", uid)
			tc.edit(obj)
			data, _ = icalendar.Marshal(obj.Calendar.Component)
			cal, _ := st.GetCalendar(context.Background(), o.CalendarID)
			e.put(bob, cal, o.Name, data, store.Conditions{IfMatch: o.ETag})
			e.eventually(tc.name+": the instance declined at alice", func() bool {
				return e.partstat("alice", uid, tc.key, "bob") == itip.Declined
			})
			_, alices := e.copyOf("alice", uid)
			if itip.Component(alices, tc.key) == nil {
				t.Errorf("%s: no override for the declined instance", tc.name)
			}
			if ps := e.partstat("alice", uid, "", "bob"); ps != itip.Accepted {
				t.Errorf("%s: bob's answer to the series became %s", tc.name, ps)
			}
		}
	})
}
