package calendar

// TEMPORARY (branch caldav only): a minimal derive until the icalendar and
// recurrence packages land on main; main's real derive.go replaces this.

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/emersion/go-ical"
)

func (s *Service) derive(cal *store.Calendar, name string, data []byte) (w *store.ObjectWrite, err error) {
	defer func() {
		if p := recover(); p != nil {
			w, err = nil, &ObjectError{PreValidData, fmt.Sprint(p)}
		}
	}()
	c, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, &ObjectError{PreValidData, err.Error()}
	}
	w = &store.ObjectWrite{Name: name, Data: data, IndexedUntil: store.Forever}
	overrides := map[int64]bool{}
	var master *ical.Component
	for _, ch := range c.Children {
		if ch.Name == "VTIMEZONE" {
			continue
		}
		if w.Component != "" && w.Component != ch.Name {
			return nil, &ObjectError{PreValidObject, "mixed component types"}
		}
		w.Component = ch.Name
		uid, _ := ch.Props.Text("UID")
		if uid == "" || (w.UID != "" && uid != w.UID) {
			return nil, &ObjectError{PreValidObject, "one UID per resource"}
		}
		w.UID = uid
		in, ok := instanceOf(ch)
		if !ok {
			continue
		}
		if rid := ch.Props.Get("RECURRENCE-ID"); rid != nil {
			t, err := rid.DateTime(time.UTC)
			if err != nil {
				return nil, &ObjectError{PreValidData, "RECURRENCE-ID: " + err.Error()}
			}
			in.RecurrenceID, in.Override = t.UnixMicro(), true
			overrides[in.RecurrenceID] = true
			w.Instances = append(w.Instances, in)
			continue
		}
		master = ch
		if ch.Props.Get("RRULE") == nil && ch.Props.Get("RDATE") == nil {
			w.Instances = append(w.Instances, in)
		}
	}
	if w.Component == "" {
		return nil, &ObjectError{PreValidObject, "no component"}
	}
	if !cal.Supports(strings.ToUpper(w.Component)) {
		return nil, &ObjectError{PreSupportedComponent, w.Component + " not supported"}
	}
	if master != nil && master.Props.Get("RRULE") != nil {
		if err := s.expandTmp(w, master, overrides); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// expandTmp materialises a recurring master's instances up to the index
// horizon (go-ical's recurrence set; main's recurrence package replaces it).
func (s *Service) expandTmp(w *store.ObjectWrite, master *ical.Component, overrides map[int64]bool) error {
	base, _ := instanceOf(master)
	set, err := master.RecurrenceSet(time.UTC)
	if err != nil || set == nil {
		return &ObjectError{PreValidData, fmt.Sprintf("RRULE: %v", err)}
	}
	horizon := s.now().Add(s.lim.IndexHorizon)
	n := 0
	var last time.Time
	it := set.Iterator()
	for t, ok := it(); ok; t, ok = it() {
		if t.After(horizon) || n == s.lim.MaxInstances {
			w.IndexedUntil = last.UnixMicro()
			break
		}
		last = t
		n++
		rid := t.UnixMicro()
		if overrides[rid] {
			continue
		}
		in := base
		in.Start, in.End, in.RecurrenceID = rid, rid+(base.End-base.Start), rid
		w.Instances = append(w.Instances, in)
	}
	return nil
}

// instanceOf reads a component's own time span, transparency and status.
func instanceOf(ch *ical.Component) (store.Instance, bool) {
	sp := ch.Props.Get("DTSTART")
	if sp == nil {
		return store.Instance{}, false
	}
	st, err := sp.DateTime(time.UTC)
	if err != nil {
		return store.Instance{}, false
	}
	allDay := sp.ValueType() == ical.ValueDate || len(sp.Value) == 8
	floating := !allDay && !strings.HasSuffix(sp.Value, "Z") && sp.Params.Get("TZID") == ""
	en := st
	if ep := ch.Props.Get("DTEND"); ep != nil {
		if t, err := ep.DateTime(time.UTC); err == nil {
			en = t
		}
	} else if dp := ch.Props.Get("DURATION"); dp != nil {
		if d, err := dp.Duration(); err == nil {
			en = st.Add(d)
		}
	} else if allDay {
		en = st.AddDate(0, 0, 1)
	}
	transp, _ := ch.Props.Text("TRANSP")
	status, _ := ch.Props.Text("STATUS")
	return store.Instance{Start: st.UnixMicro(), End: en.UnixMicro(), AllDay: allDay, Floating: floating || allDay,
		Transparent: strings.EqualFold(transp, "TRANSPARENT"), Status: strings.ToUpper(status)}, true
}
