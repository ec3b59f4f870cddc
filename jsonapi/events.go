package jsonapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// decodeEvent reads an EventRequest and which fields it names.
func decodeEvent(w http.ResponseWriter, r *http.Request) (*EventRequest, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	var in EventRequest
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	in.present = presentFields(body)
	return &in, nil
}

// eventIDParam reads the {id} of an event route.
func eventIDParam(r *http.Request) (eventID, error) {
	id, ok := parseEventID(chi.URLParam(r, "id"))
	if !ok {
		return id, fieldProblem(http.StatusBadRequest, "id", "is not an event id: a UUID, or {UUID}_{original start} for an instance")
	}
	return id, nil
}

// loadEvent reads the event with the public id if the caller may do act
// on its calendar. Objects that are not events (tasks) are not found.
func (a *API) loadEvent(ctx context.Context, u *store.User, uuid string, act calendar.Action) (*stored, error) {
	o, cal, _, err := a.cals.ObjectByUUID(ctx, u, uuid, act)
	if err != nil {
		return nil, err
	}
	if o.Component != "VEVENT" {
		return nil, errNotFound
	}
	obj, err := icalendar.ParseObject(o.Data, icalendar.Options{})
	if err != nil {
		return nil, err
	}
	return &stored{obj: o, cal: cal, ical: obj}, nil
}

// eventFor is the JSON form of the event or instance id names.
func eventFor(s *stored, id eventID) (Event, error) {
	if !id.instance() {
		return s.seriesEvent()
	}
	in, ok, err := findInstance(s, id.rid)
	if err != nil {
		return Event{}, err
	}
	if !ok {
		return Event{}, errNotFound
	}
	return s.instanceEvent(in)
}

func writeEvent(w http.ResponseWriter, status int, ev Event) {
	w.Header().Set("ETag", ev.ETag)
	writeJSON(w, status, ev)
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) {
	id, err := eventIDParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s, err := a.loadEvent(r.Context(), caller(r), id.uuid, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev, err := eventFor(s, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// RFC 9110 §13.1.2: If-None-Match uses the weak comparison.
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListHas(inm, s.obj.ETag, true) {
		w.Header().Set("ETag", ev.ETag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeEvent(w, http.StatusOK, ev)
}

// etagListHas reports whether an If-Match or If-None-Match value names
// etag: "*", or a list of entity tags. Weak tags match only under the weak
// comparison (RFC 9110 §8.8.3.2).
func etagListHas(header, etag string, weak bool) bool {
	header = strings.TrimSpace(header)
	if header == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if strings.HasPrefix(t, "W/") {
			if !weak {
				continue
			}
			t = t[2:]
		}
		if strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

func (a *API) createEvent(w http.ResponseWriter, r *http.Request) {
	in, err := decodeEvent(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cal, err := a.targetCalendar(r, in.CalendarID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	uid := store.NewUUID()
	if in.UID != nil && *in.UID != "" {
		if uid = *in.UID; checkUID(uid) != nil {
			writeError(w, r, checkUID(uid))
			return
		}
	}
	now := a.store.Clock()
	vcal, ev := newEventCalendar(uid, now)
	ed := newEditor(in, true, caller(r), now)
	ed.fresh = true
	if err := ed.apply(ev, false); err != nil {
		writeError(w, r, err)
		return
	}
	syncTimezones(vcal, ed.written)
	data, _, err := encodeChecked(vcal, cal.Components)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := a.cals.PutObject(r.Context(), caller(r), cal, objectName(uid), data, store.Conditions{IfNoneMatch: true})
	var uc *store.UIDConflictError
	if errors.Is(err, store.ErrPreconditionFailed) || errors.As(err, &uc) {
		err = fieldProblem(http.StatusConflict, "uid", "is already used by another event in this calendar")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.answer(w, r, res.UUID, eventID{uuid: res.UUID}, http.StatusCreated)
}

// targetCalendar loads the calendar a request body names for writing.
func (a *API) targetCalendar(r *http.Request, id *string) (*store.Calendar, error) {
	switch {
	case id == nil || *id == "":
		return nil, invalid("calendar_id", "is required")
	case !isUUID(*id):
		return nil, invalid("calendar_id", "is not a calendar id")
	}
	cal, _, err := a.cals.Calendar(r.Context(), caller(r), *id, calendar.ActWrite)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid("calendar_id", "names no calendar you can see")
	}
	return cal, err
}

// answer reads the event back (hooks may have changed what was stored)
// and sends it.
func (a *API) answer(w http.ResponseWriter, r *http.Request, uuid string, id eventID, status int) {
	s, err := a.loadEvent(r.Context(), caller(r), uuid, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ev, err := eventFor(s, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/events/"+ev.ID)
	}
	writeEvent(w, status, ev)
}

// maxRetries bounds how often an edit without If-Match is redone when a
// concurrent write got in between reading the event and writing it back.
const maxRetries = 3

// updateEvent serves PUT (the whole event) and PATCH (the named fields).
func (a *API) updateEvent(w http.ResponseWriter, r *http.Request) {
	id, err := eventIDParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sc, err := parseScope(r, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	in, err := decodeEvent(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if r.Method == http.MethodPut && (in.Start == nil || in.End == nil) {
		writeError(w, r, invalid(map[bool]string{true: "end", false: "start"}[in.Start != nil], "is required"))
		return
	}
	ifMatch := r.Header.Get("If-Match")
	for attempt := 0; ; attempt++ {
		show, err := a.tryUpdate(r, id, sc, in, ifMatch)
		if errors.Is(err, store.ErrPreconditionFailed) && ifMatch == "" && attempt < maxRetries {
			continue
		}
		if errors.Is(err, store.ErrPreconditionFailed) {
			a.preconditionFailed(w, r, id)
			return
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		a.answer(w, r, show.uuid, show, http.StatusOK)
		return
	}
}

// tryUpdate reads the event, applies the edit and writes it back if the
// event is still as read. It returns the id to answer with.
func (a *API) tryUpdate(r *http.Request, id eventID, sc scope, in *EventRequest, ifMatch string) (eventID, error) {
	ctx, u := r.Context(), caller(r)
	s, err := a.loadEvent(ctx, u, id.uuid, calendar.ActWrite)
	if err != nil {
		return id, err
	}
	if ifMatch != "" && !etagListHas(ifMatch, s.obj.ETag, false) {
		return id, store.ErrPreconditionFailed
	}
	target, err := a.moveTarget(r, s, in, id, sc)
	if err != nil {
		return id, err
	}
	ed := newEditor(in, r.Method == http.MethodPut, u, a.store.Clock())
	guard := guardSplitEnd(s, in, ed, sc) // before planEdit changes s
	p, err := planEdit(s, id, sc, ed)
	if err != nil {
		return id, err
	}
	if err := a.keepSplitEnd(ctx, s, p, guard); err != nil {
		return id, err
	}
	newUUID, err := a.commit(ctx, s, p, target)
	if err != nil {
		return id, err
	}
	switch {
	case newUUID != "":
		return eventID{uuid: newUUID}, nil
	case sc == scopeThis:
		return id, nil
	}
	return eventID{uuid: id.uuid}, nil
}

// moveTarget returns the calendar a request moves the event to, or nil.
// Only a whole event moves; its instances live in one calendar.
func (a *API) moveTarget(r *http.Request, s *stored, in *EventRequest, id eventID, sc scope) (*store.Calendar, error) {
	if in.CalendarID == nil || *in.CalendarID == "" || *in.CalendarID == s.cal.UUID {
		return nil, nil
	}
	if id.instance() || sc != scopeAll {
		return nil, invalid("calendar_id", "can change for a whole event only, by its own id")
	}
	return a.targetCalendar(r, in.CalendarID)
}

// commit writes a plan. Everything is encoded and checked before the first
// write; a split writes the new series first and removes it again if the
// old one cannot be written, so that no instance is lost or doubled.
func (a *API) commit(ctx context.Context, s *stored, p plan, to *store.Calendar) (newUUID string, err error) {
	u := ctxUser(ctx)
	if p.del {
		return "", a.cals.DeleteObject(ctx, u, s.cal, s.obj.Name, store.Conditions{IfMatch: s.obj.ETag})
	}
	cal := s.cal
	if to != nil {
		cal = to
	}
	data, _, err := encodeChecked(p.put, cal.Components)
	if err != nil {
		return "", err
	}
	var splitData []byte
	var splitObj *icalendar.Object
	if p.split != nil {
		if splitData, splitObj, err = encodeChecked(p.split, cal.Components); err != nil {
			return "", err
		}
	}
	etag := s.obj.ETag
	if to != nil {
		moved, err := a.cals.MoveObject(ctx, u, s.cal, s.obj.Name, to, s.obj.Name, store.Conditions{IfMatch: etag}, false)
		if err != nil {
			return "", err
		}
		etag = moved.ETag
		defer func() {
			if err != nil {
				_, _ = a.cals.MoveObject(context.WithoutCancel(ctx), u, to, s.obj.Name, s.cal, s.obj.Name, store.Conditions{IfMatch: etag}, false)
			}
		}()
	}
	if p.split != nil {
		name := objectName(splitObj.UID)
		res, perr := a.cals.PutObject(ctx, u, cal, name, splitData, store.Conditions{IfNoneMatch: true})
		if perr != nil {
			return "", perr
		}
		newUUID = res.UUID
		defer func() {
			if err != nil {
				_ = a.cals.DeleteObject(context.WithoutCancel(ctx), u, cal, name, store.Conditions{IfMatch: res.ETag})
			}
		}()
	}
	_, err = a.cals.PutObject(ctx, u, cal, s.obj.Name, data, store.Conditions{IfMatch: etag})
	return newUUID, err
}

// preconditionFailed answers 412 with the event as it is now.
func (a *API) preconditionFailed(w http.ResponseWriter, r *http.Request, id eventID) {
	p := newProblem(http.StatusPreconditionFailed, "precondition-failed",
		"the event has changed since you read it; its current version is in current")
	if s, err := a.loadEvent(r.Context(), caller(r), id.uuid, calendar.ActRead); err == nil {
		p.ETag = quoteETag(s.obj.ETag)
		w.Header().Set("ETag", p.ETag)
		if ev, err := eventFor(s, id); err == nil {
			p.Current = ev
		}
	}
	writeError(w, r, p)
}

func (a *API) deleteEvent(w http.ResponseWriter, r *http.Request) {
	id, err := eventIDParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sc, err := parseScope(r, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ifMatch := r.Header.Get("If-Match")
	for attempt := 0; ; attempt++ {
		err := a.tryDelete(r, id, sc, ifMatch)
		if errors.Is(err, store.ErrPreconditionFailed) && ifMatch == "" && attempt < maxRetries {
			continue
		}
		if errors.Is(err, store.ErrPreconditionFailed) {
			a.preconditionFailed(w, r, id)
			return
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
}

func (a *API) tryDelete(r *http.Request, id eventID, sc scope, ifMatch string) error {
	s, err := a.loadEvent(r.Context(), caller(r), id.uuid, calendar.ActWrite)
	if err != nil {
		return err
	}
	if ifMatch != "" && !etagListHas(ifMatch, s.obj.ETag, false) {
		return store.ErrPreconditionFailed
	}
	p, err := planDelete(s, id, sc, a.store.Clock())
	if err != nil {
		return err
	}
	_, err = a.commit(r.Context(), s, p, nil)
	return err
}
