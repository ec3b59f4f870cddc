package caldav

import (
	"bytes"
	"errors"
	"github.com/almanac/almanac/store"
	"strings"
	"testing"
)

func TestParseXMLLimits(t *testing.T) {
	deep := strings.Repeat("<a>", maxXMLDepth+1) + strings.Repeat("</a>", maxXMLDepth+1)
	wide := "<a>" + strings.Repeat("<b/>", maxXMLElements) + "</a>"
	bomb := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>`
	for name, body := range map[string]string{
		"deep":      deep,
		"wide":      wide,
		"bomb":      bomb,
		"entity":    `<x>&undefined;</x>`,
		"two roots": `<a/><b/>`,
		"text only": `hello`,
		"unclosed":  `<a><b></a>`,
		"latin1":    `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`,
	} {
		_, err := parseXML(strings.NewReader(body))
		var bx *errBadXML
		if !errors.As(err, &bx) {
			t.Errorf("%s: got %v, want a bad-XML error", name, err)
		}
	}
	_, err := parseXML(bytes.NewReader(bytes.Repeat([]byte(" "), maxXMLBody+1)))
	if !errors.Is(err, errTooLarge) {
		t.Errorf("huge body: %v", err)
	}
	if n, err := parseXML(strings.NewReader("  \n")); n != nil || err != nil {
		t.Errorf("empty body: %v %v", n, err)
	}
}

func TestSerializeRoundTrip(t *testing.T) {
	n, err := parseXMLBytes([]byte(`<x:p xmlns:x="urn:x" xmlns:y="urn:y" y:at="1&amp;2" plain="&quot;q&quot;">a &lt; b<y:c/></x:p>`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n.serialize(&b)
	again, err := parseXMLBytes([]byte(b.String()))
	if err != nil {
		t.Fatalf("%s: %v", b.String(), err)
	}
	var b2 strings.Builder
	again.serialize(&b2)
	if b.String() != b2.String() {
		t.Fatalf("not stable:\n%s\n%s", b.String(), b2.String())
	}
}

// FuzzRequestParsers feeds arbitrary bodies to every request parser: they
// must return an error or a request, never panic.
func FuzzRequestParsers(f *testing.F) {
	for _, s := range []string{
		`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`,
		`<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z"/><C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">x</C:text-match><C:param-filter name="X"><C:is-not-defined/></C:param-filter></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>3</D:nresults></D:limit></D:sync-collection>`,
		`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`,
		"", // no body at all, which once crashed the harness
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := parseXMLBytes(data)
		if err != nil || root == nil { // nil: no body, which every parser is given apart
			return
		}
		if root == nil {
			// No body (RFC 4918 §9.1: a PROPFIND without one asks for
			// allprop); the handlers check for it before the other
			// parsers, which take a request element.
			if req, err := parsePropfind(nil); err != nil || !req.allprop {
				t.Fatalf("an empty body: %+v %v", req, err)
			}
			return
		}
		_, _ = parsePropfind(root)
		if ops, err := parsePropertyUpdate(root); err == nil {
			e := newCalendarEdit(&storeCalendarForFuzz)
			for _, op := range ops {
				e.apply(op, true)
			}
			e.check()
			_ = e.propstats()
		}
		_, _ = parseFilter(root.child(nsCalDAV, "filter"))
		_, _ = parseObjectProps(root)
		_, _ = syncLimit(root)
		var b strings.Builder
		root.serialize(&b)
	})
}

var storeCalendarForFuzz = store.Calendar{Name: "fuzz", Components: []string{"VEVENT"}}
