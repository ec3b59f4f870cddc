package jsonapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/almanac/almanac/alarm"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/egress"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/store"
)

// ReminderResource is the JSON form of one alarm of an event, in the
// shape of the event's "reminders" (method, minutes before the start or,
// with relative_to "end", before the end; or a fixed time), with its id
// and state. Reminders are the event's VALARMs, each with a UID (RFC 9074
// §4), so CalDAV clients see the same ones; alarms a client wrote without
// a UID get a stable id derived from their content.
type ReminderResource struct {
	ID         string     `json:"id"`
	EventID    string     `json:"event_id"`
	Method     string     `json:"method"` // "display" or "email"
	Minutes    *int       `json:"minutes,omitempty"`
	RelativeTo string     `json:"relative_to,omitempty"` // "end" when minutes count from the end
	At         *time.Time `json:"at,omitempty"`
	// Trigger is a relative trigger that is not whole minutes, as
	// iCalendar text (minutes is then left out).
	Trigger       string     `json:"trigger,omitempty"`
	Acknowledged  *time.Time `json:"acknowledged,omitempty"`
	SnoozeOf      string     `json:"snooze_of,omitempty"`
	NextTriggerAt *time.Time `json:"next_trigger_at,omitempty"`
}

type reminderInput struct {
	Minutes *int       `json:"minutes"`
	At      *time.Time `json:"at"`
	Method  string     `json:"method"`
}

// maxReminderMinutes bounds "minutes before": four weeks, as Google does.
const maxReminderMinutes = 40320

func methodOf(action string) string {
	if action == alarm.Email {
		return "email"
	}
	return "display"
}

// actionOf reads a method: "display" (or Google's "popup", or "audio",
// which the server delivers as display) or "email".
func actionOf(method string) (string, error) {
	switch strings.ToLower(method) {
	case "email":
		return alarm.Email, nil
	case "display", "popup", "audio", "":
		return alarm.Display, nil
	}
	return "", fieldProblem(http.StatusUnprocessableEntity, "method", "must be \"display\" or \"email\"")
}

// eventTarget is an event the caller may see, with its calendar: obj is
// the stored copy, view what the caller reads (for a sharee, with their
// own alarms).
type eventTarget struct {
	obj, view *store.Object
	cal       *store.Calendar
}

// event resolves {event_id}; events the caller may not read are not found.
func (a *API) event(r *http.Request) (*eventTarget, error) {
	obj, err := a.store.GetObjectByUUID(r.Context(), chi.URLParam(r, "event_id"))
	if err != nil {
		return nil, errNotFound
	}
	cal, err := a.store.GetCalendar(r.Context(), obj.CalendarID)
	if err != nil {
		return nil, errNotFound
	}
	view, err := a.cals.GetObject(r.Context(), caller(r), cal, obj.Name)
	if err != nil {
		return nil, errNotFound
	}
	return &eventTarget{obj: obj, view: view, cal: cal}, nil
}

// reminderList returns the event's reminders as the caller sees them.
func (a *API) reminderList(ctx context.Context, u *store.User, t *eventTarget) ([]ReminderResource, error) {
	obj, err := icalendar.ParseObject(t.view.Data, icalendar.Options{})
	if err != nil {
		return nil, err
	}
	list, err := alarm.Parse(obj)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.AlarmsOf(ctx, t.obj.ID)
	if err != nil {
		return nil, err
	}
	next := map[string]time.Time{}
	for _, r := range rows {
		if r.UserID == u.ID && !r.Recheck {
			next[r.UID] = store.FromMicro(r.NextAt)
		}
	}
	out := make([]ReminderResource, 0, len(list))
	for i := range list {
		out = append(out, reminderJSON(t.obj.UUID, &list[i], next))
	}
	return out, nil
}

func reminderJSON(eventID string, a *alarm.Alarm, next map[string]time.Time) ReminderResource {
	r := ReminderResource{ID: a.UID, EventID: eventID, Method: methodOf(a.Action), SnoozeOf: a.SnoozeOf}
	switch off := a.Offset.Approx(); {
	case a.Related == alarm.RelAbsolute:
		at := a.At
		r.At = &at
	case off%time.Minute == 0:
		m := int(-off / time.Minute)
		r.Minutes = &m
	default:
		r.Trigger = a.Offset.String()
	}
	if a.Related == alarm.RelEnd {
		r.RelativeTo = "end"
	}
	if !a.Acknowledged.IsZero() {
		ack := a.Acknowledged
		r.Acknowledged = &ack
	}
	if t, ok := next[a.Key()]; ok {
		r.NextTriggerAt = &t
	}
	return r
}

func (a *API) listReminders(w http.ResponseWriter, r *http.Request) {
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := a.reminderList(r.Context(), caller(r), t)
	if err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminders": list})
}

func (a *API) getReminder(w http.ResponseWriter, r *http.Request) {
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := a.reminderList(r.Context(), caller(r), t)
	if err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	for _, rem := range list {
		if rem.ID == chi.URLParam(r, "id") {
			writeJSON(w, http.StatusOK, rem)
			return
		}
	}
	writeError(w, r, errNotFound)
}

func (a *API) createReminder(w http.ResponseWriter, r *http.Request) {
	var in reminderInput
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	spec, err := reminderSpec(in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := a.editAlarms(r, t, func(e *alarm.Edit) error { return e.Add(spec) }); err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	a.answerReminder(w, r, t, spec.UID, http.StatusCreated)
}

func reminderSpec(in reminderInput) (alarm.Spec, error) {
	act, err := actionOf(in.Method)
	if err != nil {
		return alarm.Spec{}, err
	}
	spec := alarm.Spec{UID: newAlarmUID(), Action: act}
	switch {
	case in.At != nil && in.Minutes != nil:
		return spec, fieldProblem(http.StatusUnprocessableEntity, "minutes", "give either minutes or at, not both")
	case in.At != nil:
		spec.At = in.At.UTC().Truncate(time.Second)
	case in.Minutes != nil:
		if *in.Minutes < 0 || *in.Minutes > maxReminderMinutes {
			return spec, fieldProblem(http.StatusUnprocessableEntity, "minutes", "must be between 0 and 40320 (four weeks)")
		}
		spec.MinutesBefore = *in.Minutes
	default:
		return spec, fieldProblem(http.StatusUnprocessableEntity, "minutes", "give minutes (before the start) or at (a time)")
	}
	return spec, nil
}

func newAlarmUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// editAlarms rewrites the event's VALARMs and stores it through the
// calendar service (so the write hooks run), provided nobody changed it
// in between. A sharee's reminders are theirs alone: they change their
// per-user data, not the event.
func (a *API) editAlarms(r *http.Request, t *eventTarget, fn func(*alarm.Edit) error) error {
	if u := caller(r); u.ID != t.cal.OwnerID {
		if a.opt.Reminders == nil {
			return calendar.ErrForbidden
		}
		return a.opt.Reminders.EditUserAlarms(r.Context(), u, t.cal, t.obj, fn)
	}
	// The server changes events on its own too (SCHEDULE-STATUS once an
	// invitation is sent, a guest's answer): the edit is made again on
	// the event as it is then.
	obj := t.obj
	for attempt := 0; ; attempt++ {
		err := a.putAlarms(r, t.cal, obj, fn)
		if !errors.Is(err, store.ErrPreconditionFailed) || attempt == maxRetries {
			return err
		}
		if obj, err = a.store.GetObjectByUUID(r.Context(), obj.UUID); err != nil {
			return err
		}
	}
}

// putAlarms applies fn to obj's alarms and stores it if it did not change.
func (a *API) putAlarms(r *http.Request, cal *store.Calendar, obj *store.Object, fn func(*alarm.Edit) error) error {
	e, err := alarm.NewEdit(obj.Data)
	if err != nil {
		return err
	}
	if err := fn(e); err != nil {
		return err
	}
	data, err := e.Bytes()
	if err != nil {
		return err
	}
	_, err = a.cals.PutObject(r.Context(), caller(r), cal, obj.Name, data, store.Conditions{IfMatch: obj.ETag})
	return err
}

func (a *API) answerReminder(w http.ResponseWriter, r *http.Request, t *eventTarget, id string, status int) {
	t2, err := a.event(r)
	if err == nil {
		t = t2
	}
	list, err := a.reminderList(r.Context(), caller(r), t)
	if err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	for _, rem := range list {
		if rem.ID == id {
			if status == http.StatusCreated {
				w.Header().Set("Location", "/api/v1/reminders/"+t.obj.UUID+"/"+id)
			}
			writeJSON(w, status, rem)
			return
		}
	}
	writeError(w, r, errNotFound)
}

func (a *API) deleteReminder(w http.ResponseWriter, r *http.Request) {
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if err := a.editAlarms(r, t, func(e *alarm.Edit) error { return e.Remove(id) }); err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// dismissReminder acknowledges the reminder (RFC 9074 §6): its pending
// deliveries are withdrawn and every device sees it dealt with.
func (a *API) dismissReminder(w http.ResponseWriter, r *http.Request) {
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	now := time.Now().UTC().Truncate(time.Second)
	if err := a.editAlarms(r, t, func(e *alarm.Edit) error { return e.Acknowledge(id, now) }); err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	a.answerReminder(w, r, t, id, http.StatusOK)
}

type snoozeInput struct {
	Minutes *int       `json:"minutes"`
	Until   *time.Time `json:"until"`
}

// snoozeReminder acknowledges the reminder and adds a snooze alarm (RFC
// 9074 §5) that triggers again later.
func (a *API) snoozeReminder(w http.ResponseWriter, r *http.Request) {
	var in snoozeInput
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	var until time.Time
	switch {
	case in.Until != nil && in.Until.After(now):
		until = in.Until.UTC().Truncate(time.Second)
	case in.Minutes != nil && *in.Minutes > 0 && *in.Minutes <= maxReminderMinutes:
		until = now.Add(time.Duration(*in.Minutes) * time.Minute)
	default:
		writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "minutes", "give minutes (1 to 40320) or a future until"))
		return
	}
	t, err := a.event(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, snooze := chi.URLParam(r, "id"), newAlarmUID()
	if err := a.editAlarms(r, t, func(e *alarm.Edit) error { return e.Snooze(id, snooze, now, until) }); err != nil {
		writeError(w, r, reminderError(err))
		return
	}
	a.answerReminder(w, r, t, snooze, http.StatusCreated)
}

// reminderError gives alarm and validation errors their problem types
// (calendar.ObjectError is mapped where every error is).
func reminderError(err error) error {
	var ae *alarm.Error
	switch {
	case errors.Is(err, alarm.ErrNotFound):
		return errNotFound
	case errors.As(err, &ae):
		return newProblem(http.StatusUnprocessableEntity, "invalid-calendar-data", ae.Error())
	}
	return err
}

// ReminderSettings is the JSON form of a user's reminder settings.
type ReminderSettings struct {
	DefaultReminders []reminders.Default `json:"default_reminders"`
	WebhookURL       string              `json:"webhook_url"`
	// WebhookSecret is returned once, when a webhook URL is set: the key
	// of the HMAC-SHA256 in each request's X-Almanac-Signature.
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

func (a *API) getReminderSettings(w http.ResponseWriter, r *http.Request) {
	set, err := a.store.GetReminderSettings(r.Context(), caller(r).ID, 0)
	if errors.Is(err, store.ErrNotFound) {
		set, err = &store.ReminderSettings{}, nil
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	defs, _ := reminders.ParseDefaults(set.Defaults)
	writeJSON(w, http.StatusOK, ReminderSettings{DefaultReminders: orEmpty(defs), WebhookURL: set.WebhookURL})
}

func orEmpty(d []reminders.Default) []reminders.Default {
	if d == nil {
		return []reminders.Default{}
	}
	return d
}

func (a *API) putReminderSettings(w http.ResponseWriter, r *http.Request) {
	var in ReminderSettings
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	defs, err := checkDefaults(in.DefaultReminders)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := checkWebhookURL(in.WebhookURL, a.opt.WebhookAllowPrivate); err != nil {
		writeError(w, r, err)
		return
	}
	u := caller(r)
	set := &store.ReminderSettings{UserID: u.ID, Defaults: defs, WebhookURL: in.WebhookURL}
	if old, err := a.store.GetReminderSettings(r.Context(), u.ID, 0); err == nil && old.WebhookURL == in.WebhookURL {
		set.WebhookSecret = old.WebhookSecret
	} else if in.WebhookURL != "" {
		set.WebhookSecret = "whsec_" + newAlarmUID() + newAlarmUID()
		in.WebhookSecret = set.WebhookSecret
	}
	if err := a.store.PutReminderSettings(r.Context(), set); err != nil {
		writeError(w, r, err)
		return
	}
	if a.opt.Reminders != nil {
		if _, err := a.opt.Reminders.RecomputeOwned(r.Context(), u); err != nil {
			writeError(w, r, err)
			return
		}
	}
	in.DefaultReminders = orEmpty(in.DefaultReminders)
	writeJSON(w, http.StatusOK, in)
}

func checkDefaults(list []reminders.Default) (string, error) {
	if len(list) > reminders.MaxDefaults {
		return "", fieldProblem(http.StatusUnprocessableEntity, "default_reminders", "at most 5")
	}
	for i := range list {
		if list[i].Minutes < 0 || list[i].Minutes > maxReminderMinutes {
			return "", fieldProblem(http.StatusUnprocessableEntity, "default_reminders", "minutes must be between 0 and 40320")
		}
		act, err := actionOf(list[i].Method)
		if err != nil {
			return "", err
		}
		list[i].Method = "popup" // Google's name in defaultReminders
		if act == alarm.Email {
			list[i].Method = "email"
		}
	}
	if len(list) == 0 {
		return "", nil
	}
	b, _ := json.Marshal(list)
	return string(b), nil
}

// checkWebhookURL refuses what could never be delivered, and addresses
// inside the server's network (the egress client checks again at every
// dial, after DNS).
func checkWebhookURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return nil
	}
	bad := func(msg string) error { return fieldProblem(http.StatusUnprocessableEntity, "webhook_url", msg) }
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil {
		return bad("must be an http or https URL with a host and no credentials")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return bad("must not point at this server's own network (loopback)")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !egress.Public(ip) {
		return bad("must not point at a loopback, private or reserved address")
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return bad("must not point at an unspecified address")
	}
	return nil
}

func (a *API) getDefaultReminders(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	set, err := a.store.GetReminderSettings(r.Context(), caller(r).ID, v.ID)
	if errors.Is(err, store.ErrNotFound) {
		set, err = &store.ReminderSettings{}, nil
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	defs, _ := reminders.ParseDefaults(set.Defaults)
	writeJSON(w, http.StatusOK, map[string]any{"default_reminders": orEmpty(defs)})
}

// putDefaultReminders sets the caller's default reminders for one
// calendar, and recomputes the reminders of its events.
func (a *API) putDefaultReminders(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DefaultReminders []reminders.Default `json:"default_reminders"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.calendarParam(r, calendar.ActRead)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defs, err := checkDefaults(in.DefaultReminders)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := a.store.PutReminderSettings(r.Context(), &store.ReminderSettings{UserID: caller(r).ID, CalendarID: v.ID, Defaults: defs}); err != nil {
		writeError(w, r, err)
		return
	}
	if a.opt.Reminders != nil {
		if _, err := a.opt.Reminders.Recompute(r.Context(), v.Calendar); err != nil {
			writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"default_reminders": orEmpty(in.DefaultReminders)})
}
