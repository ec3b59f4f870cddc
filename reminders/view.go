package reminders

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-ical"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
	"github.com/almanac/almanac/store"
)

// ridOf returns a component's RECURRENCE-ID as written ("" for the
// master): the key that matches a sharee's parts to the owner's.
func ridOf(c *ical.Component) string {
	if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

// parts are the per-user properties of one component.
type parts struct {
	alarms []*ical.Component
	transp *ical.Prop
}

// takeParts removes c's VALARMs and TRANSP and returns them.
func takeParts(c *ical.Component) parts {
	var p parts
	kept := c.Children[:0]
	for _, ch := range c.Children {
		if ch.Name == ical.CompAlarm {
			p.alarms = append(p.alarms, ch)
		} else {
			kept = append(kept, ch)
		}
	}
	c.Children = kept
	if t := c.Props.Get(ical.PropTransparency); t != nil {
		p.transp = t
		c.Props.Del(ical.PropTransparency)
	}
	return p
}

func (p parts) empty() bool { return len(p.alarms) == 0 && p.transp == nil }

// putParts gives c the per-user properties p.
func putParts(c *ical.Component, p parts) {
	if p.transp != nil {
		c.Props.Set(p.transp)
	}
	c.Children = append(c.Children, p.alarms...)
}

// objectComponents returns the components of a VCALENDAR other than
// VTIMEZONE.
func objectComponents(cal *ical.Component) []*ical.Component {
	var out []*ical.Component
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			out = append(out, c)
		}
	}
	return out
}

// partsByRID takes the per-user parts out of every component of data.
func partsByRID(data []byte) (*icalendar.Calendar, map[string]parts, error) {
	cal, err := icalendar.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]parts{}
	for _, c := range objectComponents(cal.Component) {
		out[ridOf(c)] = takeParts(c)
	}
	return cal, out, nil
}

// splitData separates what a sharee wrote (sent) into the owner's copy,
// with the owner's VALARMs and TRANSP from the stored copy (prev, nil for
// a new object), and the sharee's own parts as per-user data ("" when
// they have none).
func splitData(sent, prev []byte) (owner []byte, fragment string, err error) {
	cal, mine, err := partsByRID(sent)
	if err != nil {
		return nil, "", err
	}
	theirs := map[string]parts{}
	if prev != nil {
		if _, theirs, err = partsByRID(prev); err != nil {
			return nil, "", err
		}
	}
	for _, c := range objectComponents(cal.Component) {
		putParts(c, theirs[ridOf(c)])
	}
	if owner, err = icalendar.Marshal(cal.Component); err != nil {
		return nil, "", err
	}
	fragment, err = buildFragment(cal.Component, mine)
	return owner, fragment, err
}

// buildFragment writes per-user data: a VCALENDAR holding, for each
// component with per-user parts, its UID, RECURRENCE-ID and those parts.
func buildFragment(cal *ical.Component, byRID map[string]parts) (string, error) {
	frag := ical.NewCalendar()
	frag.Props.SetText(ical.PropVersion, "2.0")
	frag.Props.SetText(ical.PropProductID, "-//Almanac//per-user data//EN")
	for _, c := range objectComponents(cal) {
		p := byRID[ridOf(c)]
		if p.empty() {
			continue
		}
		fc := ical.NewComponent(c.Name)
		for _, name := range []string{ical.PropUID, ical.PropRecurrenceID} {
			if v := c.Props.Get(name); v != nil {
				fc.Props.Set(v)
			}
		}
		putParts(fc, p)
		frag.Children = append(frag.Children, fc)
	}
	if len(frag.Children) == 0 {
		return "", nil
	}
	b, err := icalendar.Marshal(frag.Component)
	return string(b), err
}

// mergeView is what a sharee reads: the owner's copy without the owner's
// VALARMs and TRANSP, with the sharee's own.
func mergeView(stored []byte, fragment string) ([]byte, error) {
	cal, _, err := partsByRID(stored)
	if err != nil {
		return nil, err
	}
	mine := map[string]parts{}
	if fragment != "" {
		fcal, err := icalendar.Parse([]byte(fragment))
		if err != nil {
			return nil, err
		}
		for _, c := range objectComponents(fcal.Component) {
			mine[ridOf(c)] = takeParts(c)
		}
	}
	for _, c := range objectComponents(cal.Component) {
		putParts(c, mine[ridOf(c)])
	}
	return icalendar.Marshal(cal.Component)
}

// viewETag is the entity tag of a sharee's view: it changes when the
// owner's copy or the sharee's per-user data does.
func viewETag(etag, fragment string) string {
	return store.ETagOf([]byte("per-user\x00" + etag + "\x00" + fragment))
}

// View gives each object the form user u reads (calendar.Viewer): for a
// sharee, per-user data merged in and a per-user entity tag.
func (s *Service) View(ctx context.Context, u *store.User, cal *store.Calendar, objs []*store.Object) error {
	if u == nil || u.ID == cal.OwnerID || len(objs) == 0 {
		return nil
	}
	ids := make([]int64, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	frags, err := s.st.PerUserFor(ctx, u.ID, ids)
	if err != nil {
		return err
	}
	for _, o := range objs {
		frag := frags[o.ID]
		o.ETag = viewETag(o.ETag, frag)
		if o.Data == nil {
			continue
		}
		if data, err := mergeView(o.Data, frag); err == nil {
			o.Data, o.Size = data, len(data)
		}
	}
	return nil
}

// splitSharee takes a sharee's VALARMs and TRANSP out of what they write,
// puts the owner's back from the stored copy, and returns the sharee's as
// their per-user data; sub.obj becomes the owner's copy. An If-Match on
// the sharee's view tag is turned into the stored one.
func (s *Service) splitSharee(ctx context.Context, p *calendar.PutContext, prev *store.Object, sub *subject) (*store.PerUserData, error) {
	var prevData []byte
	if prev != nil {
		prevData = prev.Data
		old, err := s.st.PerUserFor(ctx, p.User.ID, []int64{prev.ID})
		if err != nil {
			return nil, err
		}
		if p.Conditions.IfMatch == viewETag(prev.ETag, old[prev.ID]) {
			p.Conditions.IfMatch = prev.ETag
		}
	}
	owner, frag, err := splitData(p.Write.Data, prevData)
	if err != nil {
		return nil, invalid(err)
	}
	obj, err := icalendar.ParseObject(owner, icalendar.Options{})
	if err != nil {
		return nil, fmt.Errorf("reminders: the owner's copy does not parse: %w", err)
	}
	p.Write.Data, sub.obj = owner, obj
	fixTransparency(p.Write.Instances, obj)
	sub.perUser = map[int64]*icalendar.Object{p.User.ID: parseFragment(frag)}
	return &store.PerUserData{UserID: p.User.ID, Data: frag}, nil
}

// fixTransparency makes the index follow the owner's TRANSP (what free-
// busy reports), not the sharee's.
func fixTransparency(list []store.Instance, obj *icalendar.Object) {
	master := false
	overrides := map[int64]bool{}
	for _, c := range obj.Components {
		t := c.Transp() == "TRANSPARENT"
		rid, err := c.RecurrenceID()
		switch {
		case err != nil:
		case rid.IsZero():
			master = t
		case rid.Absolute():
			overrides[store.Micro(rid.Time)] = t
		default:
			overrides[store.Micro(rid.Wall())] = t
		}
	}
	for i := range list {
		if t, ok := overrides[list[i].RecurrenceID]; ok && list[i].Override {
			list[i].Transparent = t
		} else if !list[i].Override {
			list[i].Transparent = master
		}
	}
}

// ErrNotSharee is returned by SetUserAlarms for the calendar's owner,
// whose alarms are in the object itself.
var ErrNotSharee = errors.New("reminders: the owner's alarms are in the object")

// UserAlarms returns the alarms user u sees on obj: the owner's in the
// data, a sharee's in their per-user data.
func (s *Service) UserAlarms(ctx context.Context, u *store.User, cal *store.Calendar, obj *store.Object) ([]alarm.Alarm, error) {
	data := obj.Data
	if u.ID != cal.OwnerID {
		view := &store.Object{ID: obj.ID, ETag: obj.ETag, Data: obj.Data}
		if err := s.View(ctx, u, cal, []*store.Object{view}); err != nil {
			return nil, err
		}
		data = view.Data
	}
	parsed, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		return nil, err
	}
	return alarm.Parse(parsed)
}

// EditUserAlarms changes the alarms sharee u has on obj: fn edits their
// view, and what it leaves in the VALARMs and TRANSP becomes their
// per-user data, with their reminders recomputed. The owner's copy is not
// touched, so a reader-only sharee may set reminders too. It returns
// ErrNotSharee for the owner.
func (s *Service) EditUserAlarms(ctx context.Context, u *store.User, cal *store.Calendar, obj *store.Object, fn func(*alarm.Edit) error) error {
	if u.ID == cal.OwnerID {
		return ErrNotSharee
	}
	view := &store.Object{ID: obj.ID, ETag: obj.ETag, Data: obj.Data}
	if err := s.View(ctx, u, cal, []*store.Object{view}); err != nil {
		return err
	}
	e, err := alarm.NewEdit(view.Data)
	if err != nil {
		return err
	}
	if err := fn(e); err != nil {
		return err
	}
	edited, err := e.Bytes()
	if err != nil {
		return err
	}
	_, frag, err := splitData(edited, obj.Data)
	if err != nil {
		return err
	}
	rows, err := s.userRows(ctx, u, cal, obj, frag)
	if err != nil {
		return invalid(err)
	}
	rev, err := s.st.ReplaceUserAlarms(ctx, cal.ID, obj.ID, u.ID, frag, rows)
	if err != nil {
		return err
	}
	if s.opt.Notifier != nil {
		s.opt.Notifier.Changed(ctx, calendar.Change{CalendarID: cal.ID, CalendarUUID: cal.UUID, OwnerID: cal.OwnerID,
			ObjectUUID: obj.UUID, Name: obj.Name, Revision: rev, Kind: calendar.Updated})
	}
	return nil
}

// userRows computes sharee u's alarm rows of obj given their per-user data.
func (s *Service) userRows(ctx context.Context, u *store.User, cal *store.Calendar, obj *store.Object, frag string) ([]store.AlarmRow, error) {
	parsed, err := icalendar.ParseObject(obj.Data, icalendar.Options{})
	if err != nil {
		return nil, err
	}
	zone := calendarZone(cal)
	series, err := recurrence.NewSeries(parsed, recurrence.Options{Limits: s.opt.Recurrence, FloatingZone: zone})
	if err != nil {
		return nil, err
	}
	sub := &subject{cal: cal, obj: parsed, series: series, zones: alarm.ZonesOf(parsed, zone),
		perUser: map[int64]*icalendar.Object{u.ID: parseFragment(frag)}}
	if err := s.loadSubject(ctx, sub, obj.ID, obj.UUID); err != nil {
		return nil, err
	}
	list, err := s.alarmsOf(sub, u.ID)
	if err != nil {
		return nil, err
	}
	var out []store.AlarmRow
	for i := range list {
		r, ok, err := s.firstRow(sub, u.ID, &list[i])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}
