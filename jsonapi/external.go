package jsonapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
)

// importCalendar answers POST /calendars/{id}/import: an iCalendar file,
// sent as the body (text/calendar) or as the "file" part of a form upload,
// imported into the calendar (see calendar.Service.Import). The file is
// spooled to disk first, so memory does not grow with its size.
func (a *API) importCalendar(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActWrite)
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := uploadedCalendar(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer body.Close()
	f, size, err := spool(body, a.opt.MaxImportBytes)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	rep, err := a.cals.Import(r.Context(), caller(r), v.Calendar, f, size, calendar.ImportOptions{})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// uploadedCalendar returns the iCalendar data of an import request.
func uploadedCalendar(r *http.Request) (io.ReadCloser, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err != nil:
		return nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "send text/calendar, or multipart/form-data with a file")
	case mt == "text/calendar" || mt == "application/octet-stream":
		return r.Body, nil
	case mt == "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return nil, newProblem(http.StatusBadRequest, "no-file", "the form has no file part")
			}
			if p.FormName() == "file" || p.FileName() != "" {
				return p, nil
			}
		}
	}
	return nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "send text/calendar, or multipart/form-data with a file")
}

// spool copies an upload to a temporary file, up to limit bytes.
func spool(body io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "almanac-import-*.ics")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if err == nil && n > limit {
		err = newProblem(http.StatusRequestEntityTooLarge, "too-large", "the file is larger than this server imports; split it, or use almanac import")
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// exportCalendar answers GET /calendars/{id}/export.ics with the calendar
// as one iCalendar file, streamed.
func (a *API) exportCalendar(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		writeError(w, r, err)
		return
	}
	etag := calendar.ExportETag(v.Calendar, "", v.Role.String())
	if httpserver.NotModified(w, r, etag, v.UpdatedAt) {
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(v.DisplayName, v.Name)+`.ics"`)
	w.Header().Set("Cache-Control", "private, no-cache")
	body, finish := httpserver.Compressed(w, r)
	cw := &httpserver.CountingWriter{W: body}
	if err := a.cals.Export(r.Context(), caller(r), v.Calendar, cw); err != nil {
		if cw.N == 0 {
			w.Header().Del("Content-Encoding")
			writeError(w, r, err)
			return
		}
		// The answer has started: it can only be cut short.
		httpserver.Logger(r.Context()).Error("exporting a calendar", "calendar", v.UUID, "err", err)
		return
	}
	_ = finish()
}

var unsafeName = regexp.MustCompile(`[^\p{L}\p{N} ._-]+`)

// fileName makes a calendar's name usable as a download's file name.
func fileName(display, name string) string {
	if s := strings.TrimSpace(unsafeName.ReplaceAllString(display, "")); s != "" {
		return s
	}
	return name
}

// Publication is the JSON form of a calendar's publication.
type Publication struct {
	Level     string    `json:"level"`
	URL       string    `json:"url"`
	WebcalURL string    `json:"webcal_url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (a *API) publicationJSON(r *http.Request, p *calendar.Publication) Publication {
	base := a.publicBase(r)
	url := base + "/ical/" + p.Token + ".ics"
	scheme, rest, _ := strings.Cut(url, "://")
	webcal := "webcal://" + rest
	if scheme == "http" {
		webcal = url // a plain-http server cannot promise what webcal:// implies
	}
	return Publication{Level: string(p.Level), URL: url, WebcalURL: webcal, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// publicBase is the server's own URL: the configured one, else the one
// the request was sent to.
func (a *API) publicBase(r *http.Request) string {
	if a.opt.PublicURL != "" {
		return strings.TrimSuffix(a.opt.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *API) getPublication(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActShare)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p, err := a.cals.Publication(r.Context(), caller(r), v.Calendar)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.publicationJSON(r, p))
}

// PublicationRequest is the body of PUT /calendars/{id}/publication.
type PublicationRequest struct {
	Level string `json:"level"`
}

// putPublication publishes the calendar, or changes the level of its
// publication (the URL stays the same).
func (a *API) putPublication(w http.ResponseWriter, r *http.Request) {
	a.publish(w, r, false)
}

// rotatePublication gives the publication a new URL; the old one stops
// working at once.
func (a *API) rotatePublication(w http.ResponseWriter, r *http.Request) {
	a.publish(w, r, true)
}

func (a *API) publish(w http.ResponseWriter, r *http.Request, rotate bool) {
	v, err := a.calendarParam(r, calendar.ActShare)
	if err != nil {
		writeError(w, r, err)
		return
	}
	level := calendar.LevelBusy
	if rotate {
		cur, err := a.cals.Publication(r.Context(), caller(r), v.Calendar)
		if err != nil {
			writeError(w, r, err)
			return
		}
		level = cur.Level
	} else {
		var in PublicationRequest
		if err := decode(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		level = calendar.Level(in.Level)
	}
	p, created, err := a.cals.Publish(r.Context(), caller(r), v.Calendar, level, rotate)
	if err != nil {
		writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, a.publicationJSON(r, p))
}

func (a *API) deletePublication(w http.ResponseWriter, r *http.Request) {
	v, err := a.calendarParam(r, calendar.ActShare)
	if err == nil {
		err = a.cals.Unpublish(r.Context(), caller(r), v.Calendar)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Source is the JSON form of the remote end of a subscribed or mirrored
// calendar, for its owner.
type Source struct {
	Type            string     `json:"type"`
	URL             string     `json:"url"`
	Username        string     `json:"username,omitempty"`
	HasPassword     bool       `json:"has_password"`
	RefreshInterval string     `json:"refresh_interval"` // an RFC 5545 duration, e.g. PT1H
	LastSuccessAt   *time.Time `json:"last_success_at"`
	LastAttemptAt   *time.Time `json:"last_attempt_at"`
	NextRefreshAt   time.Time  `json:"next_refresh_at"`
	Failures        int        `json:"failures"`
	LastError       string     `json:"last_error,omitempty"`
}

func sourceJSON(src *store.Source) Source {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return Source{Type: src.Kind, URL: src.URL, Username: src.Username, HasPassword: len(src.Secret) > 0,
		RefreshInterval: icalendar.NewDuration(src.RefreshEvery).String(), LastSuccessAt: at(src.LastSuccessAt),
		LastAttemptAt: at(src.LastAttemptAt), NextRefreshAt: src.NextAttemptAt, Failures: src.Failures, LastError: src.LastError}
}

// SubscriptionRequest is the body of POST /subscriptions.
type SubscriptionRequest struct {
	Type            string `json:"type"` // ics (default) or caldav
	URL             string `json:"url"`
	Username        string `json:"username,omitempty"`
	Password        string `json:"password,omitempty"`
	DisplayName     string `json:"display_name,omitempty"`
	Color           string `json:"color,omitempty"`
	RefreshInterval string `json:"refresh_interval,omitempty"`
}

// Subscribed is the answer to POST /subscriptions.
type Subscribed struct {
	Calendar Calendar `json:"calendar"`
	Source   Source   `json:"source"`
}

// subscribe creates a read-only calendar fed by an iCalendar URL
// (webcal:// accepted) or mirrored from a CalDAV collection. The source is
// fetched before the answer, so a wrong URL or password is reported at
// once and leaves nothing behind.
func (a *API) subscribe(w http.ResponseWriter, r *http.Request) {
	if a.opt.External == nil {
		writeError(w, r, errNotFound)
		return
	}
	var in SubscriptionRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sub := external.Subscription{Kind: in.Type, URL: in.URL, Username: in.Username, Password: in.Password,
		DisplayName: in.DisplayName, Color: in.Color}
	if sub.Kind == "" {
		sub.Kind = store.SourceICS
	}
	if in.RefreshInterval != "" {
		d, err := icalendar.ParseDuration(in.RefreshInterval)
		if err != nil || d.Negative {
			writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "refresh_interval", "must be a duration such as PT1H"))
			return
		}
		sub.RefreshEvery = d.Approx()
	}
	cal, err := a.opt.External.Subscribe(r.Context(), caller(r), sub)
	if err != nil {
		writeError(w, r, err)
		return
	}
	a.writeSubscribed(w, r, cal, http.StatusCreated)
}

func (a *API) writeSubscribed(w http.ResponseWriter, r *http.Request, cal *store.Calendar, status int) {
	src, err := a.opt.External.Source(r.Context(), caller(r), cal)
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := a.calendarJSON(r, calendar.Visible{Calendar: cal, Role: calendar.RoleOwner})
	if err != nil {
		writeError(w, r, err)
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/calendars/"+cal.UUID)
	}
	writeJSON(w, status, Subscribed{Calendar: c, Source: sourceJSON(src)})
}

// sourceParam loads the source of the calendar named by {id}.
func (a *API) sourceParam(r *http.Request) (calendar.Visible, *store.Source, error) {
	if a.opt.External == nil {
		return calendar.Visible{}, nil, errNotFound
	}
	v, err := a.calendarParam(r, calendar.ActFreeBusy)
	if err != nil {
		return v, nil, err
	}
	src, err := a.opt.External.Source(r.Context(), caller(r), v.Calendar)
	return v, src, err
}

func (a *API) getSource(w http.ResponseWriter, r *http.Request) {
	_, src, err := a.sourceParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sourceJSON(src))
}

// SourceRequest is the body of PATCH /calendars/{id}/source; absent
// fields keep their value, an empty password removes it.
type SourceRequest struct {
	URL             *string `json:"url,omitempty"`
	Username        *string `json:"username,omitempty"`
	Password        *string `json:"password,omitempty"`
	RefreshInterval *string `json:"refresh_interval,omitempty"`
}

func (a *API) updateSource(w http.ResponseWriter, r *http.Request) {
	v, _, err := a.sourceParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in SourceRequest
	if err := decode(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	upd := external.SourceUpdate{URL: in.URL, Username: in.Username, Password: in.Password}
	if in.RefreshInterval != nil {
		d, err := icalendar.ParseDuration(*in.RefreshInterval)
		if err != nil || d.Negative {
			writeError(w, r, fieldProblem(http.StatusUnprocessableEntity, "refresh_interval", "must be a duration such as PT1H"))
			return
		}
		every := d.Approx()
		upd.RefreshEvery = &every
	}
	src, err := a.opt.External.Update(r.Context(), caller(r), v.Calendar, upd)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sourceJSON(src))
}

// refreshSource refreshes the source now and answers with its state; a
// failed refresh shows in last_error.
func (a *API) refreshSource(w http.ResponseWriter, r *http.Request) {
	v, _, err := a.sourceParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	src, err := a.opt.External.RefreshNow(r.Context(), caller(r), v.Calendar)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sourceJSON(src))
}

// externalProblem maps the errors of read-only calendars and sources.
func externalProblem(err error) *Problem {
	var ee *external.Error
	switch {
	case errors.Is(err, calendar.ErrReadOnly):
		return newProblem(http.StatusForbidden, "read-only-calendar", "this calendar's events come from a subscription or another server; it cannot be changed here")
	case errors.As(err, &ee):
		return newProblem(http.StatusUnprocessableEntity, "source-unavailable", ee.Msg)
	}
	return nil
}
