package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"

	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/jsonapi"
)

// calendarNames are the DAV path segments of every generated user's
// calendars; the first is where the person's own events go.
var calendarNames = [2]string{"personal", "work"}

// calendarRef is one of the person's calendars as both front ends name it.
type calendarRef struct {
	id  string // the JSON API's UUID
	dav string // absolute collection URL
}

// person is one simulated user, signed in once over JSON and with an app
// password for CalDAV, as someone with the web client open and a phone
// syncing would be.
type person struct {
	worker
	sim      *sim
	n        int
	rng      *rand.Rand
	api      *client.Client
	userID   string
	appLabel string
	basic    string // Authorization header for CalDAV
	cals     [2]calendarRef
	// syncTokens are the tokens of this person's previous sync of each
	// calendar.
	syncTokens [2]string
	// created are the events this run made, edited by edit_event and
	// removed at the end; invites are the meetings it organised.
	created []*jsonapi.Event
	invites []string
	creates []jsonapi.EventRequest // prepared bodies for create_event
	nextNew int
}

// signIn makes person n ready: session token, app password, calendar ids,
// a first full sync and one event to edit. Nothing of it is measured. A
// person signed in is returned with any later error, to be signed out.
func (s *sim) signIn(ctx context.Context, i, n int) (*person, error) {
	p := &person{sim: s, n: n, rng: rand.New(rand.NewPCG(uint64(s.p.Seed), uint64(i))),
		api: client.New(s.base, s.hc)}
	p.worker = worker{hc: s.hc, rec: newRecorder(&s.live, s.log)}
	name := userName(n)
	login, err := p.api.Login(ctx, name, s.p.Password)
	if err != nil {
		return nil, fmt.Errorf("signing in as %s: %w", name, err)
	}
	p.userID = login.User.ID
	p.appLabel = fmt.Sprintf("almanac-sim-%s-%d", s.runID, i)
	var ap jsonapi.AppPassword
	if _, err := p.api.Do(ctx, "POST", "/users/"+p.userID+"/app-passwords", jsonapi.AppPasswordRequest{Name: p.appLabel}, &ap); err != nil {
		return p, fmt.Errorf("app password for %s: %w", name, err)
	}
	p.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+ap.Secret))
	if err := p.findCalendars(ctx, name); err != nil {
		return p, err
	}
	p.creates = p.prepareCreates(32)
	return p, p.prime()
}

// findCalendars looks up the UUIDs of the generated calendars, which the
// JSON API names them by.
func (p *person) findCalendars(ctx context.Context, name string) error {
	list, err := p.api.Calendars(ctx)
	if err != nil {
		return fmt.Errorf("calendars of %s: %w", name, err)
	}
	for i, seg := range calendarNames {
		path := "/dav/calendars/" + name + "/" + seg + "/"
		for _, c := range list {
			if c.CalDAVURL == path && c.Role == "owner" {
				p.cals[i] = calendarRef{id: c.ID, dav: p.sim.base + path}
			}
		}
		if p.cals[i].id == "" {
			return fmt.Errorf("%s has no calendar %q: is the data set generated?", name, seg)
		}
	}
	return nil
}

// prime does what a client does once: a full sync (so that later polls
// are incremental) and, here, an event for edit_event to start with.
func (p *person) prime() error {
	for c := range p.cals {
		if !p.fullSync(c) {
			return fmt.Errorf("%s: the initial sync failed", userName(p.n))
		}
	}
	ev, err := p.api.CreateEvent(context.Background(), p.creates[0])
	if err != nil {
		return fmt.Errorf("%s: creating an event: %w", userName(p.n), err)
	}
	p.created = append(p.created, ev)
	return nil
}

// fullSync syncs calendar c from scratch, as a client does when it adds
// the calendar or its token is refused; it is not part of the mix, and is
// reported apart when it happens during the run.
func (p *person) fullSync(c int) bool {
	p.syncTokens[c] = ""
	d, _, ok := p.sync(rowFullSync, c)
	if ok {
		p.rec.ok(rowFullSync, d)
	}
	return ok
}

// removeOwn deletes the events the person made in this run, so that the
// data set stays as generated and later runs measure the same thing. The
// meetings' guests are told (their copies become cancelled).
func (p *person) removeOwn() {
	for _, ev := range p.created {
		p.remove(context.Background(), ev.ID)
	}
	for _, id := range p.invites {
		p.remove(context.Background(), id)
	}
}

// removeInvitations deletes the person's copies of meetings runs
// organised, cancelled or not, which would otherwise stay in their
// calendar (and their invitations) after every run.
func (p *person) removeInvitations() {
	var list []jsonapi.Invitation
	if _, err := p.api.Do(context.Background(), "GET", "/invitations?status=all", nil, &list); err != nil {
		p.sim.log.add("clean-up", err.Error())
		return
	}
	for _, inv := range list {
		if inv.Summary == meetingTitle {
			p.remove(context.Background(), inv.EventID)
		}
	}
}

// signOut revokes the app password and ends the session.
func (p *person) signOut() {
	ctx := context.Background()
	if p.basic != "" {
		if _, err := p.api.Do(ctx, "DELETE", "/users/"+p.userID+"/app-passwords/"+url.PathEscape(p.appLabel), nil, nil); err != nil {
			p.sim.log.add("sign-out", err.Error())
		}
	}
	if _, err := p.api.Do(ctx, "POST", "/users/logout", nil, nil); err != nil {
		p.sim.log.add("sign-out", err.Error())
	}
}

func (p *person) remove(ctx context.Context, id string) {
	if err := p.api.DeleteEvent(ctx, id, client.Change{}); err != nil {
		p.sim.log.add("clean-up", err.Error())
	}
}

// davRequest is a WebDAV request with the person's app password.
func (p *person) davRequest(method, url, depth string, body []byte) *http.Request {
	return newDAVRequest(method, url, p.basic, depth, body)
}

// apiGet is a GET of the JSON API with the session token, for answers the
// simulator only checks and does not decode.
func (p *person) apiGet(path string) *http.Request {
	req, _ := http.NewRequest("GET", p.sim.base+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.api.Token())
	return req
}

func newDAVRequest(method, url, auth, depth string, body []byte) *http.Request {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if depth != "" {
		req.Header.Set("Depth", depth)
	}
	if body != nil {
		req.Header.Set("Content-Type", xmlType)
	}
	return req
}
