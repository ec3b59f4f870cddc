package reminders

import (
	"context"
	"strings"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/icalendar"
)

// Per-user data of shared events follows CalendarServer's approach: the
// stored object is the owner's copy, with the owner's VALARMs and TRANSP.
// What a sharee writes in those properties is theirs alone: it is taken
// out of the object they PUT (which gets the owner's back) and kept in
// object_user_data as a small VCALENDAR holding, per component (matched by
// RECURRENCE-ID), the sharee's VALARMs and TRANSP. Their reminders come
// from there, and it is merged back into what they read.

// componentKey returns the RECURRENCE-ID of c as written ("" for the
// master) and whether c is a master that recurs.
func componentKey(c *icalendar.Component) (rid string, recurring bool) {
	if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
		return strings.TrimSpace(p.Value), false
	}
	return "", c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil
}

// perUserAlarms returns the alarms a user's per-user data gives the
// components of obj.
func perUserAlarms(obj *icalendar.Object, pu *icalendar.Object) ([]alarm.Alarm, error) {
	index := map[string]int{}
	recurs := map[int]bool{}
	for i, c := range obj.Components {
		rid, rec := componentKey(c)
		index[rid], recurs[i] = i, rec
	}
	var out []alarm.Alarm
	for _, c := range pu.Components {
		rid, _ := componentKey(c)
		i, ok := index[rid]
		if !ok {
			continue // an instance the owner has since removed
		}
		list, err := alarm.FromComponent(c, i)
		if err != nil {
			return nil, err
		}
		for k := range list {
			list[k].Recurring = recurs[i] && list[k].Related != alarm.RelAbsolute
		}
		out = append(out, list...)
	}
	return out, nil
}

// loadPerUser reads every sharee's per-user data of an object.
func (s *Service) loadPerUser(ctx context.Context, sub *subject, objectID int64) error {
	all, err := s.st.PerUser(ctx, objectID)
	if err != nil {
		return err
	}
	for u, data := range all {
		if _, ok := sub.perUser[u]; ok {
			continue // replaced by the write in progress
		}
		if obj := parseFragment(data); obj != nil {
			sub.perUser[u] = obj
		}
	}
	return nil
}

// parseFragment parses stored per-user data; nil when there is none (or
// it cannot be read, which only a bug could cause: the server wrote it).
func parseFragment(data string) *icalendar.Object {
	if data == "" {
		return nil
	}
	cal, err := icalendar.Parse([]byte(data))
	if err != nil {
		return nil
	}
	obj := &icalendar.Object{Calendar: cal}
	obj.Components = cal.Components()
	return obj
}
