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
		if st, err := ch.Props.DateTime("DTSTART", time.UTC); err == nil {
			en, err := ch.Props.DateTime("DTEND", time.UTC)
			if err != nil {
				en = st
			}
			w.Instances = append(w.Instances, store.Instance{Start: st.UnixMicro(), End: en.UnixMicro()})
		}
	}
	if w.Component == "" {
		return nil, &ObjectError{PreValidObject, "no component"}
	}
	if !cal.Supports(strings.ToUpper(w.Component)) {
		return nil, &ObjectError{PreSupportedComponent, w.Component + " not supported"}
	}
	return w, nil
}
