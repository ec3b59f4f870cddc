package itip

import (
	"bytes"
	"html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/emersion/go-ical"
)

// Link is an action offered in the body of an invitation: an RSVP link.
type Link struct {
	Label string
	URL   string
}

// Details is what the body of a scheduling e-mail says about the event.
type Details struct {
	Summary     string
	Start       time.Time // zero: unknown
	AllDay      bool
	Location    string
	Description string
	Organizer   string // name or address
	Sender      string // who caused the message: organizer, or the attendee replying
	PartStat    string // for a REPLY
	Links       []Link
}

// DetailsOf reads the master (or first) component of a message.
func DetailsOf(m *Message) Details {
	c := m.Components[0]
	for _, x := range m.Components {
		if x.Props.Get(ical.PropRecurrenceID) == nil {
			c = x
			break
		}
	}
	return DetailsOfComponent(c)
}

// DetailsOfComponent reads the details of one component.
func DetailsOfComponent(c *icalendar.Component) Details {
	d := Details{Summary: strings.TrimSpace(c.Summary()), Location: c.Text(ical.PropLocation),
		Description: c.Text(ical.PropDescription)}
	if st, err := c.Start(); err == nil && !st.IsZero() {
		d.Start, d.AllDay = st.In(time.UTC), st.IsDate()
		if st.IsDate() {
			d.Start = st.Time
		} else if st.Time.Location() != time.UTC && st.Absolute() {
			d.Start = st.Time
		}
	}
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		d.Organizer = p.Params.Get("CN")
		if d.Organizer == "" {
			d.Organizer = Email(p.Value)
		}
	}
	return d
}

// When renders the start for people.
func (d Details) When() string {
	switch {
	case d.Start.IsZero():
		return ""
	case d.AllDay:
		return d.Start.Format("Monday 2 January 2006") + " (all day)"
	}
	return d.Start.Format("Monday 2 January 2006, 15:04 MST")
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`{{.Intro}}

{{with .D.Summary}}{{.}}
{{end}}{{with .D.When}}When: {{.}}
{{end}}{{with .D.Location}}Where: {{.}}
{{end}}{{with .D.Organizer}}Organizer: {{.}}
{{end}}{{with .D.Description}}
{{.}}
{{end}}{{if .D.Links}}
Your answer:
{{range .D.Links}}  {{.Label}}: {{.URL}}
{{end}}{{end}}
Your calendar program can also answer with the attached invitation.
`))

var htmlBody = template.Must(template.New("html").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<p>{{.Intro}}</p>
<h2>{{.D.Summary}}</h2>
<table>
{{with .D.When}}<tr><th align="left">When</th><td>{{.}}</td></tr>{{end}}
{{with .D.Location}}<tr><th align="left">Where</th><td>{{.}}</td></tr>{{end}}
{{with .D.Organizer}}<tr><th align="left">Organizer</th><td>{{.}}</td></tr>{{end}}
</table>
{{with .D.Description}}<p style="white-space:pre-wrap">{{.}}</p>{{end}}
{{if .D.Links}}<p>{{range .D.Links}}<a href="{{.URL}}" style="margin-right:1em">{{.Label}}</a> {{end}}</p>{{end}}
</body></html>
`))

// Body renders the plain-text and HTML bodies of a scheduling e-mail from
// the same data; html/template escapes what the HTML one shows.
func Body(method string, d Details) (text, html string) {
	intro := d.Sender + " invites you to an event."
	switch method {
	case Cancel:
		intro = d.Sender + " has cancelled this event."
	case Reply:
		intro = d.Sender + " has answered: " + strings.ToLower(partStatWords(d.PartStat)) + "."
	case Request:
	case DeclineCounter:
		intro = d.Sender + " keeps this event as it is and declines the change you proposed."
	default:
		intro = d.Sender + " sent you a calendar message (" + method + ")."
	}
	data := struct {
		Intro string
		D     Details
	}{intro, d}
	var t, h bytes.Buffer
	_ = htmlBody.Execute(&h, data)
	_ = textBody.Execute(&t, data)
	return t.String(), h.String()
}

func partStatWords(ps string) string {
	switch ps {
	case Accepted:
		return "Accepted"
	case Declined:
		return "Declined"
	case Tentative:
		return "Maybe (tentative)"
	case Delegated:
		return "Delegated"
	}
	return "No answer yet"
}
