package main

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestScanMultistatus(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		hrefs      int
		token      string
		err        bool
	}{
		{"sync, prefixed", `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/a.ics</d:href>` +
			`<d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop></d:propstat></d:response>` +
			`<d:sync-token> http://x/sync/7 </d:sync-token></d:multistatus>`, 1, "http://x/sync/7", false},
		{"default namespace, no change", `<multistatus xmlns="DAV:"><sync-token>tok&amp;1</sync-token></multistatus>`, 0, "tok&1", false},
		{"hrefs in properties are not resources", `<D:multistatus xmlns:D="DAV:"><D:response><D:href>/a</D:href><D:propstat><D:prop>` +
			`<D:owner><D:href>/p/</D:href></D:owner></D:prop></D:propstat></D:response><D:response><D:href>/b</D:href></D:response></D:multistatus>`, 2, "", false},
		{"other namespace", `<x:multistatus xmlns:x="urn:other"/>`, 0, "", true},
		{"not XML", `Internal Server Error`, 0, "", true},
		{"truncated", `<D:multistatus xmlns:D="DAV:"><D:response>`, 0, "", true},
		{"empty", ``, 0, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := scanMultistatus([]byte(tc.body))
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if !tc.err && (ms.hrefs != tc.hrefs || ms.syncToken != tc.token) {
				t.Errorf("got %d hrefs and token %q, want %d and %q", ms.hrefs, ms.syncToken, tc.hrefs, tc.token)
			}
		})
	}
}

func TestSyncBodyEscapes(t *testing.T) {
	b := string(syncBody("a<b&c"))
	if !strings.Contains(b, "<D:sync-token>a&lt;b&amp;c</D:sync-token>") {
		t.Errorf("body: %s", b)
	}
	if !strings.Contains(string(syncBody("")), "<D:sync-token></D:sync-token>") {
		t.Error("an initial sync has an empty token")
	}
}

func TestParsePeer(t *testing.T) {
	for _, tc := range []struct {
		arg, url, auth string
		err            bool
	}{
		{"radicale=http://127.0.0.1:5232/bench/cal/", "http://127.0.0.1:5232/bench/cal/", "", false},
		{"a=http://127.0.0.1:8080/dav/calendars/bob/x/@bob:pw:with:colons", "http://127.0.0.1:8080/dav/calendars/bob/x/",
			"Basic Ym9iOnB3OndpdGg6Y29sb25z", false},
		{"a=http://h/c/@bob@example.com:pw", "http://h/c/", "Basic Ym9iQGV4YW1wbGUuY29tOnB3", false},
		{"a=http://h/c", "", "", true},
		{"http://h/c/", "", "", true},
		{"a=ftp://h/c/", "", "", true},
	} {
		s, err := parsePeer(tc.arg)
		if (err != nil) != tc.err {
			t.Errorf("%s: error %v", tc.arg, err)
			continue
		}
		if !tc.err && (s.url != tc.url || s.auth != tc.auth) {
			t.Errorf("%s: %q %q", tc.arg, s.url, s.auth)
		}
	}
}

func TestPickUsers(t *testing.T) {
	got := pickUsers(userRange{First: 5, Count: 30}, 12, 1)
	if len(got) != 12 {
		t.Fatalf("%d users: %v", len(got), got)
	}
	seen := map[int]bool{}
	for i, n := range got {
		if n < 5 || n >= 35 || seen[n] {
			t.Fatalf("user %d out of range or twice: %v", n, got)
		}
		seen[n] = true
		// Users come in whole blocks: a new block starts at its first
		// user within the range.
		if i > 0 && n/10 != got[i-1]/10 && n != max(n/10*10, 5) {
			t.Errorf("block of %d not started at its beginning: %v", n, got)
		}
	}
	if !slices.Equal(got, pickUsers(userRange{First: 5, Count: 30}, 12, 1)) {
		t.Error("the same seed picks other users")
	}
}

func TestBlockmates(t *testing.T) {
	s := &sim{p: &profile{Users: userRange{First: 0, Count: 1000}}}
	rng := newTestRand()
	for range 20 {
		mates := s.blockmates(42, 3, rng)
		if len(mates) != 3 {
			t.Fatalf("%v", mates)
		}
		for _, m := range mates {
			if m == 42 || m/10 != 4 {
				t.Fatalf("%d is not another user of block 4", m)
			}
		}
	}
	s.p.Users.Count = 43 // block 4 has users 40…42 only
	if mates := s.blockmates(42, 3, rng); len(mates) != 2 {
		t.Errorf("mates within the range: %v", mates)
	}
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestIsCalendar(t *testing.T) {
	for body, want := range map[string]bool{
		`<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/c/</d:href><d:propstat>` +
			`<d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status>` +
			`</d:propstat></d:response></d:multistatus>`: true,
		// Xandikos on a missing collection
		`<ns0:multistatus xmlns:ns0="DAV:"><ns0:response><ns0:href>/c/</ns0:href><ns0:status>HTTP/1.1 404 Not Found</ns0:status>` +
			`</ns0:response></ns0:multistatus>`: false,
		`<d:multistatus xmlns:d="DAV:"><d:response><d:href>/c/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>` +
			`</d:resourcetype></d:prop></d:propstat></d:response></d:multistatus>`: false,
	} {
		if got := isCalendar([]byte(body)); got != want {
			t.Errorf("isCalendar = %v, want %v: %s", got, want, body)
		}
	}
}
