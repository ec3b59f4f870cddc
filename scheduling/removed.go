package scheduling

import (
	"slices"
	"strings"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/recurrence"
	"github.com/emersion/go-ical"
)

// removedInstances are the instances an attendee's write took out of
// their copy with EXDATE, as Apple Calendar and Thunderbird do when one
// deletes an occurrence of a meeting: RFC 6638 §3.2.2.3 has the server
// decline each for them, so that the organizer learns of it. Each is the
// previous copy's component for the instance (its override, or the one
// the series made), with the attendee's PARTSTAT=DECLINED. An instance
// they had declined already, one cancelled, one they are not invited to,
// or an EXDATE that names no instance sends nothing.
func (w *write) removedInstances() []*icalendar.Component {
	if w.prevObj == nil {
		return nil
	}
	oldMaster, curMaster := w.prevObj.Master(), w.obj.Master()
	if oldMaster == nil || curMaster == nil || oldMaster.Calendar() == nil || curMaster.Calendar() == nil {
		return nil
	}
	excluded := map[string]bool{}
	for _, rid := range exdateIDs(oldMaster.Component) {
		excluded[instanceKey(oldMaster, rid)] = true
	}
	var out []*icalendar.Component
	var series *recurrence.Series
	examined := 0
	for _, rid := range exdateIDs(curMaster.Component) {
		key := instanceKey(curMaster, rid)
		if key == "" || excluded[key] || itip.Component(w.obj, key) != nil {
			continue
		}
		if examined++; examined > maxDeclinedPerWrite {
			break
		}
		excluded[key] = true
		// An override names an instance; any other instance starts at its
		// recurrence id.
		if itip.Component(w.prevObj, key) == nil && !hadInstance(&series, w.prevObj, oldMaster, rid) {
			continue // an EXDATE that removes nothing: the organizer would refuse the reply
		}
		var inst *ical.Component
		if old := itip.Component(w.prevObj, key); old != nil {
			inst = itip.Clone(old.Component)
		} else if c, err := itip.Instantiate(oldMaster, rid); err == nil {
			inst = c
		} else {
			continue // not an instance the series had
		}
		c := &icalendar.Component{Component: inst}
		if ps := itip.PartStat(inst, w.me); ps == "" || ps == itip.Declined || c.Status() == "CANCELLED" {
			continue
		}
		itip.SetPartStat(inst, w.me, itip.Declined)
		out = append(out, c)
	}
	return out
}

// maxDeclinedPerWrite bounds the new EXDATEs one write of an attendee's
// copy is examined for, and so the work and the size of the REPLY it
// sends: deleting occurrences one by one, as clients do, stays far below
// it.
const maxDeclinedPerWrite = 100

// hadInstance reports whether the previous version's series has the
// instance rid names (series is expanded once, on first use).
func hadInstance(series **recurrence.Series, prev *icalendar.Object, master *icalendar.Component, rid *ical.Prop) bool {
	if *series == nil {
		s, err := recurrence.NewSeries(prev, recurrence.Options{})
		if err != nil {
			return false
		}
		*series = s
	}
	dt, err := icalendar.ParseDateTime(rid.Value, rid.Params, master.Calendar().Location)
	if err != nil {
		return false
	}
	at := dt.In(time.UTC)
	list, err := (*series).Expand(at.Add(-time.Second), at.Add(time.Second))
	if err != nil {
		return false
	}
	return slices.ContainsFunc(list, func(in recurrence.Instance) bool { return in.RecurrenceID.Equal(at) })
}

// exdateIDs turns a component's EXDATEs into RECURRENCE-ID properties,
// one per excluded instance.
func exdateIDs(c *ical.Component) []*ical.Prop {
	var out []*ical.Prop
	for _, ex := range c.Props.Values(ical.PropExceptionDates) {
		for _, v := range strings.Split(ex.Value, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			rid := &ical.Prop{Name: ical.PropRecurrenceID, Params: ical.Params{}, Value: v}
			for k, vals := range ex.Params {
				rid.Params[k] = slices.Clone(vals)
			}
			out = append(out, rid)
		}
	}
	return out
}

// instanceKey is the itip.RecurrenceKey of the instance rid names, its
// time zone read from master's calendar; "" when rid is not a date.
func instanceKey(master *icalendar.Component, rid *ical.Prop) string {
	dt, err := icalendar.ParseDateTime(rid.Value, rid.Params, master.Calendar().Location)
	if err != nil {
		return ""
	}
	if dt.IsDate() {
		return dt.String()
	}
	return dt.In(time.UTC).UTC().Format("20060102T150405Z")
}
