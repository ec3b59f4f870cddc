package jsonapi

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/almanac/almanac/httpserver"
	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// RSVPRoutes serves the answer links of invitation e-mail, to be mounted
// at /rsvp: they work without an account, the token being the authority.
// GET only shows what the link would do, so that mail scanners following
// links change nothing; the page's form POSTs the answer.
func (a *API) RSVPRoutes() http.Handler {
	r := chi.NewRouter()
	r.Get("/{token}", a.rsvpPage)
	r.Post("/{token}", a.rsvpAnswer)
	return r
}

var rsvpTemplate = template.Must(template.New("rsvp").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>{{.Title}}</title></head>
<body style="font-family:sans-serif;max-width:36em;margin:2em auto">
<h1>{{.Title}}</h1>
{{with .Event}}<p><strong>{{.Summary}}</strong>{{with .When}}<br>{{.}}{{end}}</p>{{end}}
<p>{{.Message}}</p>
{{if .Form}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

type rsvpView struct {
	Title, Message, Button string
	Event                  *scheduling.LinkTarget
	Form                   bool
}

var answerWords = map[string]string{itip.Accepted: "Yes", itip.Tentative: "Maybe", itip.Declined: "No"}

func writeRSVP(w http.ResponseWriter, status int, v rsvpView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The token is in the URL: keep it out of other sites' logs.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	_ = rsvpTemplate.Execute(w, v)
}

// rsvpLink checks the token and loads what it answers; on failure it has
// written the page saying why.
func (a *API) rsvpLink(w http.ResponseWriter, r *http.Request) (scheduling.RSVP, *scheduling.LinkTarget, bool) {
	s := a.opt.Scheduler
	if s == nil {
		writeRSVP(w, http.StatusNotFound, rsvpView{Title: "Not available", Message: "This server does not take answers by link."})
		return scheduling.RSVP{}, nil, false
	}
	link, err := s.ParseToken(chi.URLParam(r, "token"))
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, scheduling.ErrExpiredToken) {
			status = http.StatusGone
		}
		writeRSVP(w, status, rsvpView{Title: "This link does not work", Message: err.Error()})
		return link, nil, false
	}
	ev, err := s.Describe(r.Context(), link)
	if errors.Is(err, store.ErrNotFound) {
		writeRSVP(w, http.StatusNotFound, rsvpView{Title: "Event not found", Message: "The event was deleted or you are no longer invited."})
		return link, nil, false
	} else if err != nil {
		httpserver.Logger(r.Context()).Error("rsvp link", "err", err)
		writeRSVP(w, http.StatusInternalServerError, rsvpView{Title: "Something went wrong", Message: "Please try again later."})
		return link, nil, false
	}
	return link, ev, true
}

func (a *API) rsvpPage(w http.ResponseWriter, r *http.Request) {
	link, ev, ok := a.rsvpLink(w, r)
	if !ok {
		return
	}
	word := answerWords[link.PartStat]
	writeRSVP(w, http.StatusOK, rsvpView{Title: "Answer “" + word + "”?", Event: ev, Form: true, Button: "Answer “" + word + "”",
		Message: "You are answering as " + ev.Attendee + ". Press the button to send your answer to the organizer."})
}

func (a *API) rsvpAnswer(w http.ResponseWriter, r *http.Request) {
	link, ev, ok := a.rsvpLink(w, r)
	if !ok {
		return
	}
	if err := a.opt.Scheduler.Answer(r.Context(), link); err != nil {
		httpserver.Logger(r.Context()).Error("rsvp answer", "err", err)
		writeRSVP(w, http.StatusInternalServerError, rsvpView{Title: "Something went wrong", Message: "Your answer was not recorded; please try again later."})
		return
	}
	writeRSVP(w, http.StatusOK, rsvpView{Title: "Thank you", Event: ev,
		Message: "Your answer “" + answerWords[link.PartStat] + "” has been sent to the organizer."})
}
