package jsonapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/caldav"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/go-chi/chi/v5"
)

// TestOneTruthWithCalDAV serves the JSON API and CalDAV over one store: an
// event made in JSON is the resource CalDAV serves (same bytes, same
// ETag), and one a CalDAV client puts reads and edits in JSON.
func TestOneTruthWithCalDAV(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	acc := account.New(st, account.Options{AllowRegistration: true})
	cals := calendar.New(st, calendar.Options{})
	mux := chi.NewRouter() // as cmd/almanac mounts them
	mux.Mount("/api/v1", New(acc, cals, Options{}).Routes())
	mux.Mount(caldav.Prefix, caldav.New(acc, cals, caldav.Options{}).Routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &eventFixture{testServer: &testServer{Server: srv, st: st, acc: acc, cals: cals}}
	f.tok, f.user = f.register(t, "alice")
	r := f.do(t, "POST", "/calendars", f.tok, `{"display_name":"Work"}`)
	f.cal = r.body["id"].(string)
	base := r.body["caldav_url"].(string)
	dav := func(method, path, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth("alice", "correct horse")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	id := f.create(t, f.fixture(t, "create-weekly.json"))
	r = f.do(t, "GET", "/events/"+id, f.tok, "")
	resp, body := dav("GET", base+"weekly-review@example.com.ics", "")
	if resp.StatusCode != 200 || body != f.ics(t, id) || resp.Header.Get("ETag") != r.header.Get("ETag") {
		t.Fatalf("CalDAV GET: %d, ETag %q vs JSON %q", resp.StatusCode, resp.Header.Get("ETag"), r.header.Get("ETag"))
	}

	data, err := os.ReadFile(filepath.Join("testdata", "events", "outlook-meeting.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := dav("PUT", base+"outlook.ics", string(data), "Content-Type", "text/calendar", "If-None-Match", "*"); resp.StatusCode != 201 {
		t.Fatalf("CalDAV PUT: %d %s", resp.StatusCode, body)
	}
	r = f.do(t, "GET", "/calendars/"+f.cal+"/events", f.tok, "")
	var outlook map[string]any
	for _, it := range r.body["items"].([]any) {
		if ev := it.(map[string]any); ev["title"] == "Quarterly review" {
			outlook = ev
		}
	}
	if outlook == nil || outlook["start"].(map[string]any)["time_zone"] != "Europe/Berlin" {
		t.Fatalf("the CalDAV event in JSON: %s", r.raw)
	}
	r = f.do(t, "PATCH", "/events/"+outlook["id"].(string), f.tok, `{"location":"Room 5.01"}`, "If-Match", outlook["etag"].(string))
	if r.status != 200 {
		t.Fatalf("JSON edit: %d %s", r.status, r.raw)
	}
	resp, body = dav("GET", base+"outlook.ics", "")
	if resp.Header.Get("ETag") != r.header.Get("ETag") || !strings.Contains(body, "LOCATION:Room 5.01") ||
		!strings.Contains(body, "X-MICROSOFT-CDO-BUSYSTATUS:BUSY") {
		t.Fatalf("CalDAV after the JSON edit (ETag %q vs %q):\n%s", resp.Header.Get("ETag"), r.header.Get("ETag"), body)
	}
	// A CalDAV client holding the JSON ETag may write; an old one may not.
	if resp, _ := dav("PUT", base+"outlook.ics", string(data), "Content-Type", "text/calendar", "If-Match", outlook["etag"].(string)); resp.StatusCode != 412 {
		t.Fatalf("CalDAV PUT with a stale ETag: %d", resp.StatusCode)
	}
}
