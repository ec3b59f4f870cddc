package caldav_test

import (
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func TestSharingOverCalDAV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, calendar.Limits{})
		work := "/dav/calendars/alice/work/"
		mustStatus(t, s.do(t, "alice", "MKCALENDAR", work, ""), 201)
		mustStatus(t, s.do(t, "alice", "PUT", work+"a.ics", eventICS("a", "Planning"), "Content-Type", "text/calendar"), 201)
		share := `<?xml version="1.0"?><CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<CS:set><D:href>mailto:BOB@example.com</D:href><CS:common-name>Bob</CS:common-name><CS:read-write/></CS:set></CS:share>`
		mustStatus(t, s.do(t, "bob", "POST", work, share, "Content-Type", "application/xml"), 404)
		mustStatus(t, s.do(t, "alice", "POST", work, strings.Replace(share, "BOB@", "nobody@", 1), "Content-Type", "application/xml"), 403)
		mustStatus(t, s.do(t, "alice", "POST", work, share, "Content-Type", "application/xml"), 200)

		// The owner sees who has it.
		r := s.do(t, "alice", "PROPFIND", work, propfindBody("<CS:invite/><D:share-access/>"), "Depth", "0")
		if !strings.Contains(r.body, "mailto:bob@example.com") || !strings.Contains(r.body, "read-write") || !strings.Contains(r.body, "shared-owner") {
			t.Fatalf("owner's invite:\n%s", r.body)
		}
		// The sharee finds it in their home, under the calendar's id.
		r = s.do(t, "bob", "PROPFIND", "/dav/calendars/bob/", propfindBody("<D:resourcetype/><D:displayname/><D:owner/>"), "Depth", "1")
		if !strings.Contains(r.body, "<CS:shared/>") || !strings.Contains(r.body, "/dav/principals/alice/") {
			t.Fatalf("bob's home:\n%s", r.body)
		}
		shared := sharedHref(t, r.body)
		if got := s.do(t, "bob", "GET", shared+"a.ics", ""); got.status != 200 || !strings.Contains(got.body, "SUMMARY:Planning") {
			t.Fatalf("bob reads the event: %d %s", got.status, got.body)
		}
		mustStatus(t, s.do(t, "bob", "PUT", shared+"b.ics", eventICS("b", "From Bob"), "Content-Type", "text/calendar"), 201)
		if got := s.do(t, "alice", "GET", work+"b.ics", ""); !strings.Contains(got.body, "From Bob") {
			t.Fatalf("alice does not see bob's event: %d", got.status)
		}
		// Bob renames it for himself only; the description is alice's.
		patch := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Alice at work</D:displayname></D:prop></D:set></D:propertyupdate>`
		mustStatus(t, s.do(t, "bob", "PROPPATCH", shared, patch), 207)
		r = s.do(t, "alice", "PROPFIND", work, propfindBody("<D:displayname/>"), "Depth", "0")
		if strings.Contains(r.body, "Alice at work") {
			t.Fatalf("bob's name reached alice's calendar:\n%s", r.body)
		}
		if r = s.do(t, "bob", "PROPFIND", shared, propfindBody("<D:displayname/>"), "Depth", "0"); !strings.Contains(r.body, "Alice at work") {
			t.Fatalf("bob's own name is lost:\n%s", r.body)
		}
		desc := `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>mine</C:calendar-description></D:prop></D:set></D:propertyupdate>`
		if r = s.do(t, "bob", "PROPPATCH", shared, desc); !strings.Contains(r.body, "403") {
			t.Fatalf("sharee changed the description:\n%s", r.body)
		}
		// Revoked with the draft's DAV:share-resource: gone at the next request.
		revoke := `<?xml version="1.0"?><D:share-resource xmlns:D="DAV:"><D:sharee><D:href>/dav/principals/bob/</D:href><D:share-access><D:no-access/></D:share-access></D:sharee></D:share-resource>`
		mustStatus(t, s.do(t, "alice", "POST", work, revoke, "Content-Type", "application/xml"), 200)
		mustStatus(t, s.do(t, "bob", "GET", shared+"a.ics", ""), 404)
		mustStatus(t, s.do(t, "bob", "PROPFIND", shared, propfindBody("<D:displayname/>"), "Depth", "0"), 404)
	})
}

func TestShareeLeaves(t *testing.T) {
	s := newServer(t, storetest.SQLite(t), calendar.Limits{})
	work := "/dav/calendars/alice/work/"
	mustStatus(t, s.do(t, "alice", "MKCALENDAR", work, ""), 201)
	share := `<?xml version="1.0"?><D:share-resource xmlns:D="DAV:"><D:sharee><D:href>mailto:bob@example.com</D:href><D:share-access><D:read/></D:share-access></D:sharee></D:share-resource>`
	mustStatus(t, s.do(t, "alice", "POST", work, share, "Content-Type", "application/xml"), 200)
	r := s.do(t, "bob", "PROPFIND", "/dav/calendars/bob/", propfindBody("<D:resourcetype/>"), "Depth", "1")
	shared := sharedHref(t, r.body)
	mustStatus(t, s.do(t, "bob", "PUT", shared+"x.ics", eventICS("x", "Nope"), "Content-Type", "text/calendar"), 403)
	mustStatus(t, s.do(t, "bob", "DELETE", shared, ""), 204)
	mustStatus(t, s.do(t, "alice", "PROPFIND", work, propfindBody("<D:displayname/>"), "Depth", "0"), 207)
	mustStatus(t, s.do(t, "bob", "PROPFIND", shared, propfindBody("<D:displayname/>"), "Depth", "0"), 404)
}

func mustStatus(t *testing.T, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d:\n%s", r.status, want, r.body)
	}
}

func eventICS(uid, summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260610T100000Z\r\nDTEND:20260610T110000Z\r\nSUMMARY:" +
		summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func propfindBody(props string) string {
	return `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>` + props + `</D:prop></D:propfind>`
}

// sharedHref finds the shared calendar's href in a home listing.
func sharedHref(t *testing.T, body string) string {
	t.Helper()
	for _, resp := range strings.Split(body, "<D:response>")[1:] {
		if strings.Contains(resp, "<CS:shared/>") {
			start := strings.Index(resp, "<D:href>") + len("<D:href>")
			return resp[start:strings.Index(resp, "</D:href>")]
		}
	}
	t.Fatalf("no shared calendar in:\n%s", body)
	return ""
}
