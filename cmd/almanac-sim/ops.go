package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/almanac/almanac/client"
	"github.com/almanac/almanac/jsonapi"
)

// opFuncs are the operations of the mix, by the names profiles use.
var opFuncs = map[string]func(*person){
	opMonthView:    (*person).monthView,
	opWeekPage:     (*person).weekPage,
	opCreateEvent:  (*person).createEvent,
	opEditEvent:    (*person).editEvent,
	opInvite:       (*person).invite,
	opRSVP:         (*person).rsvp,
	opCalDAVReport: (*person).caldavReport,
	opCalDAVSync:   (*person).caldavSync,
	opCalDAVCTag:   (*person).caldavCTag,
}

// createZones are the time zones people create events in.
var createZones = []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"}

const dayLayout = "2006-01-02"

// someDay is a day of a month people look at, mostly the present one.
func (p *person) someDay() time.Time {
	m := p.sim.months[p.sim.pickMonth(p.rng)]
	return m.AddDate(0, 0, p.rng.IntN(28))
}

// ownCalendar is one of the person's calendars, the personal one more
// often, as people look at that one most.
func (p *person) ownCalendar() calendarRef {
	if p.rng.IntN(3) == 0 {
		return p.cals[1]
	}
	return p.cals[0]
}

func (p *person) monthView() {
	c := p.ownCalendar()
	req := p.apiGet("/calendars/" + c.id + "/view?view_type=month&date=" + p.someDay().Format(dayLayout))
	p.call(opMonthView, req, 200, nil)
}

// weekPage is someone pressing "next" through four weeks: four requests,
// each timed as the person waits for it.
func (p *person) weekPage() {
	c, day := p.ownCalendar(), p.someDay()
	for k := range 4 {
		date := day.AddDate(0, 0, 7*k).Format(dayLayout)
		if !p.call(opWeekPage, p.apiGet("/calendars/"+c.id+"/view?view_type=week&date="+date), 200, nil) {
			return
		}
	}
}

// prepareCreates builds n event bodies ahead of the run: timed events in
// several zones, some all-day, some recurring.
func (p *person) prepareCreates(n int) []jsonapi.EventRequest {
	out := make([]jsonapi.EventRequest, n)
	for i := range out {
		out[i] = p.newEvent(fmt.Sprintf("Sim event %d", i))
		if i%7 == 3 {
			out[i].Recurrence = &[]string{[]string{"RRULE:FREQ=WEEKLY;COUNT=10", "RRULE:FREQ=DAILY;COUNT=5",
				"RRULE:FREQ=MONTHLY;BYMONTHDAY=15"}[i%3]}
		}
		if i%10 == 5 {
			day := p.someDay()
			out[i].Start = &jsonapi.EventTime{Date: day.Format(dayLayout)}
			out[i].End = &jsonapi.EventTime{Date: day.AddDate(0, 0, 1).Format(dayLayout)}
		}
	}
	return out
}

// newEvent is a timed event in the personal calendar on a day people
// look at.
func (p *person) newEvent(title string) jsonapi.EventRequest {
	start := p.someDay().Add(time.Duration(8+p.rng.IntN(10)) * time.Hour)
	end := start.Add(time.Duration(30*(1+p.rng.IntN(3))) * time.Minute)
	zone := createZones[p.rng.IntN(len(createZones))]
	const local = "2006-01-02T15:04:05"
	return jsonapi.EventRequest{CalendarID: &p.cals[0].id, Title: &title,
		Start: &jsonapi.EventTime{DateTime: start.Format(local), TimeZone: zone},
		End:   &jsonapi.EventTime{DateTime: end.Format(local), TimeZone: zone}}
}

func (p *person) createEvent() {
	in := p.creates[p.nextNew%len(p.creates)]
	p.nextNew++
	p.measure(opCreateEvent, func() error {
		ev, err := p.api.CreateEvent(context.Background(), in)
		if err == nil {
			p.created = append(p.created, ev)
		}
		return err
	})
}

// editEvent renames or moves by an hour one of the events this run made,
// conditionally on the version it last saw, as the web client does.
func (p *person) editEvent() {
	ev := p.created[p.rng.IntN(len(p.created))]
	in, err := p.edit(ev)
	if err != nil {
		p.rec.fail(opEditEvent, err.Error())
		return
	}
	p.measure(opEditEvent, func() error {
		out, err := p.api.UpdateEvent(context.Background(), ev.ID, in, client.Change{IfMatch: ev.ETag})
		if err == nil {
			*ev = *out
		}
		return err
	})
}

func (p *person) edit(ev *jsonapi.Event) (jsonapi.EventRequest, error) {
	if ev.AllDay || p.rng.IntN(2) == 0 {
		title := fmt.Sprintf("Sim event, edited %d", p.rng.IntN(1000))
		return jsonapi.EventRequest{Title: &title}, nil
	}
	shift := time.Hour
	if p.rng.IntN(2) == 0 {
		shift = -shift
	}
	start, err1 := moved(ev.Start, shift)
	end, err2 := moved(ev.End, shift)
	return jsonapi.EventRequest{Start: &start, End: &end}, errors.Join(err1, err2)
}

func moved(t jsonapi.EventTime, d time.Duration) (jsonapi.EventTime, error) {
	v, err := time.Parse(time.RFC3339, t.DateTime)
	if err != nil {
		return t, fmt.Errorf("the server answered an event time %q: %w", t.DateTime, err)
	}
	t.DateTime = v.Add(d).Format(time.RFC3339)
	return t, nil
}

// meetingTitle marks the meetings runs organise, for the clean-up to find
// the guests' copies; a generated event never has it.
const meetingTitle = "Meeting (almanac-sim run)"

// invite organises a meeting with two or three people of the person's
// block, who have the person's work calendar shared and so know them.
func (p *person) invite() {
	in := p.newEvent(meetingTitle)
	var guests []jsonapi.Attendee
	for _, n := range p.sim.blockmates(p.n, 2+p.rng.IntN(2), p.rng) {
		guests = append(guests, jsonapi.Attendee{Email: userEmail(n)})
	}
	in.Attendees = &guests
	p.measure(opInvite, func() error {
		ev, err := p.api.CreateEvent(context.Background(), in)
		if err == nil {
			p.invites = append(p.invites, ev.ID)
		}
		return err
	})
}

// rsvp is an invitee opening their pending invitations and answering one,
// mostly yes.
func (p *person) rsvp() {
	var list []jsonapi.Invitation
	ok := p.measure(rowRSVPList, func() error {
		_, err := p.api.Do(context.Background(), "GET", "/invitations", nil, &list)
		return err
	})
	if !ok || len(list) == 0 {
		return
	}
	inv := list[p.rng.IntN(len(list))]
	answer := []string{"ACCEPTED", "ACCEPTED", "ACCEPTED", "TENTATIVE", "DECLINED"}[p.rng.IntN(5)]
	p.measure(opRSVP, func() error {
		_, err := p.api.Do(context.Background(), "PUT", "/invitations/"+inv.EventID+"/"+inv.ID,
			jsonapi.RSVPRequest{Status: answer}, nil)
		return err
	})
}

func (p *person) caldavReport() {
	req := p.davRequest("REPORT", p.cals[0].dav, "1", p.sim.reports[p.sim.pickMonth(p.rng)])
	p.call(opCalDAVReport, req, 207, looksMultistatus)
}

// caldavSync is a client's periodic poll of one calendar with the token
// of its previous sync. Polls that find changes are reported apart, as
// their cost follows the changes: caldav_sync is the poll that finds
// none. A token the server no longer accepts is an error, after which the
// client starts over with a full sync, as real ones do.
func (p *person) caldavSync() {
	c := p.rng.IntN(len(p.cals))
	d, changed, ok := p.sync(opCalDAVSync, c)
	switch {
	case !ok:
		p.fullSync(c)
	case changed:
		p.rec.ok(rowSyncChanged, d)
	default:
		p.rec.ok(opCalDAVSync, d)
	}
}

// sync sends a sync-collection REPORT with calendar c's current token and
// takes the new one from the answer.
func (p *person) sync(row string, c int) (d time.Duration, changed, ok bool) {
	req := p.davRequest("REPORT", p.cals[c].dav, "0", syncBody(p.syncTokens[c]))
	d, ok = p.send(row, req, 207, func(body []byte) error {
		ms, err := scanMultistatus(body)
		if err == nil && ms.syncToken == "" {
			err = errors.New("the answer has no sync-token")
		}
		p.syncTokens[c], changed = ms.syncToken, ms.hrefs > 0
		return err
	})
	return d, changed, ok
}

func (p *person) caldavCTag() {
	c := p.cals[p.rng.IntN(len(p.cals))]
	p.call(opCalDAVCTag, p.davRequest("PROPFIND", c.dav, "0", ctagBody), 207, looksMultistatus)
}
