package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const monthLayout = "2006-01"

// Request bodies are built once: the simulator should spend its time
// waiting for the server, not writing XML.
var (
	ctagBody = []byte(`<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>`)
	resourceTypeBody = []byte(`<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>`)
	mkcalendarBody = []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>Simulation</D:displayname>
<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>`)
)

const xmlType = "application/xml; charset=utf-8"

// monthQuery is a calendar-query REPORT (RFC 4791 §7.8) for the events
// overlapping one month, with their data, as a client filling its month
// grid asks it.
func monthQuery(month time.Time) []byte {
	from := month.UTC().Format("20060102T150405Z")
	to := month.AddDate(0, 1, 0).UTC().Format("20060102T150405Z")
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="` + from + `" end="` + to + `"/>
</C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`)
}

// syncBody is a sync-collection REPORT (RFC 6578 §3.2) asking for ETags
// only, as clients do before fetching what changed with a multiget.
func syncBody(token string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>`)
	_ = xml.EscapeText(&b, []byte(token))
	b.WriteString(`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
	return b.Bytes()
}

// looksMultistatus is the cheap check of a REPORT answer in the timed
// path: its root element is DAV:multistatus, whatever prefix the server
// gives the namespace.
func looksMultistatus(body []byte) error {
	head := body[:min(len(body), 512)]
	if !bytes.Contains(head, []byte("multistatus")) {
		return fmt.Errorf("not a multistatus: %.200q", head)
	}
	return nil
}

// multistatus is what the simulator reads from a multistatus: how many
// resources it lists, and the sync token it ends with, if any.
type multistatus struct {
	hrefs     int
	syncToken string
}

// scanMultistatus reads a multistatus with a streaming decoder, counting
// the hrefs of its responses (not hrefs inside properties) and taking the
// top-level sync-token.
func scanMultistatus(body []byte) (multistatus, error) {
	var ms multistatus
	dec := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	rooted := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ms, fmt.Errorf("reading multistatus: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !rooted && (t.Name.Space != "DAV:" || t.Name.Local != "multistatus") {
				return ms, fmt.Errorf("root element is %s %s, not DAV: multistatus", t.Name.Space, t.Name.Local)
			}
			rooted = true
			path = append(path, davName(t.Name))
			if strings.Join(path, "/") == "multistatus/response/href" {
				ms.hrefs++
			}
		case xml.CharData:
			if strings.Join(path, "/") == "multistatus/sync-token" {
				ms.syncToken += string(t)
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	if !rooted || len(path) != 0 {
		return ms, errors.New("not a complete multistatus")
	}
	ms.syncToken = strings.TrimSpace(ms.syncToken)
	return ms, nil
}

// isCalendar reports whether a PROPFIND answer names the CalDAV calendar
// resource type (RFC 4791 §4.2) among its properties.
func isCalendar(body []byte) bool {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var path []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == "urn:ietf:params:xml:ns:caldav" && t.Name.Local == "calendar" &&
				strings.HasSuffix(strings.Join(path, "/"), "propstat/prop/resourcetype") {
				return true
			}
			path = append(path, davName(t.Name))
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
}

// davName is the local name of an element in the DAV: namespace, and a
// name no path matches for any other namespace.
func davName(n xml.Name) string {
	if n.Space != "DAV:" {
		return "{" + n.Space + "}" + n.Local
	}
	return n.Local
}
