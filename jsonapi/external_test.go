package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/external"
	"github.com/almanac/almanac/publish"
	"github.com/almanac/almanac/store"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// iCalendar bodies are checked for their content type only.
func init() { openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.FileBodyDecoder) }

// newExternalServer serves the API with subscriptions (allowed to fetch
// from loopback) and the publication handler at /ical/.
func newExternalServer(t *testing.T) *testServer {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	acc := account.New(st, account.Options{AllowRegistration: true})
	cals := calendar.New(st, calendar.Options{})
	ext := external.New(cals, external.Options{AllowPrivate: true})
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", http.StripPrefix("/api/v1", New(acc, cals, Options{External: ext, MaxImportBytes: 64 << 10}).Routes()))
	mux.Handle("/ical/", http.StripPrefix("/ical", publish.New(cals).Routes()))
	srv := httptest.NewServer(newOpenAPICheck(t).wrap(mux))
	t.Cleanup(srv.Close)
	return &testServer{srv, st, acc, cals}
}

func (s *testServer) upload(t *testing.T, path, token, contentType string, body []byte) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/api/v1"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	return s.send(t, req)
}

func (s *testServer) send(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func icsEvents(uids ...string) []byte {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for _, uid := range uids {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:Meeting %s\r\nLOCATION:Room %s\r\nEND:VEVENT\r\n", uid, uid, uid)
	}
	b.WriteString("END:VCALENDAR\r\n")
	return []byte(b.String())
}

func TestImportExportOverJSON(t *testing.T) {
	s := newExternalServer(t)
	token, _ := s.register(t, "alice")
	cal := s.do(t, "POST", "/calendars", token, `{"display_name":"Work"}`)
	id := cal.body["id"].(string)

	r := s.upload(t, "/calendars/"+id+"/import", token, "text/calendar", icsEvents("a", "b"))
	if r.status != 200 || r.body["created"] != float64(2) {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "export.ics")
	fw.Write(icsEvents("a", "b", "c"))
	mw.Close()
	r = s.upload(t, "/calendars/"+id+"/import", token, mw.FormDataContentType(), form.Bytes())
	if r.status != 200 || r.body["created"] != float64(1) || r.body["unchanged"] != float64(2) {
		t.Fatalf("multipart import again: %d %s", r.status, r.raw)
	}
	for name, c := range map[string]struct {
		ct     string
		body   []byte
		status int
	}{
		"not iCalendar": {"text/calendar", []byte("hello"), 422},
		"wrong type":    {"application/json", []byte("{}"), 415},
		"too large":     {"text/calendar", bytes.Repeat([]byte("x"), 70<<10), 413},
	} {
		if r := s.upload(t, "/calendars/"+id+"/import", token, c.ct, c.body); r.status != c.status {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	r = s.do(t, "GET", "/calendars/"+id+"/export.ics", token, "")
	if r.status != 200 || strings.Count(r.raw, "BEGIN:VEVENT") != 3 || !strings.Contains(r.header.Get("Content-Disposition"), `filename="Work.ics"`) {
		t.Fatalf("export: %d %v\n%s", r.status, r.header, r.raw)
	}
	if r2 := s.do(t, "GET", "/calendars/"+id+"/export.ics", token, "", "If-None-Match", r.header.Get("ETag")); r2.status != 304 {
		t.Errorf("conditional export: %d", r2.status)
	}
	other, _ := s.register(t, "bob")
	if r := s.do(t, "GET", "/calendars/"+id+"/export.ics", other, ""); r.status != 404 {
		t.Errorf("export by a stranger: %d", r.status)
	}
}

func TestPublication(t *testing.T) {
	s := newExternalServer(t)
	token, _ := s.register(t, "alice")
	id := s.do(t, "POST", "/calendars", token, `{"display_name":"Work"}`).body["id"].(string)
	s.upload(t, "/calendars/"+id+"/import", token, "text/calendar", icsEvents("a"))
	if r := s.do(t, "GET", "/calendars/"+id+"/publication", token, ""); r.status != 404 {
		t.Fatalf("unpublished: %d", r.status)
	}
	if r := s.do(t, "PUT", "/calendars/"+id+"/publication", token, `{"level":"secret"}`); r.status != 422 {
		t.Errorf("bad level: %d %s", r.status, r.raw)
	}
	r := s.do(t, "PUT", "/calendars/"+id+"/publication", token, `{"level":"busy"}`)
	if r.status != 201 || !strings.HasPrefix(r.body["url"].(string), s.URL+"/ical/") || !strings.HasPrefix(r.body["webcal_url"].(string), "http") {
		t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	url := r.body["url"].(string)
	feed := fetch(t, url, "")
	if feed.status != 200 || !strings.Contains(feed.raw, "SUMMARY:Busy") || strings.Contains(feed.raw, "Meeting") {
		t.Fatalf("busy feed: %d\n%s", feed.status, feed.raw)
	}
	if again := fetch(t, url, feed.header.Get("ETag")); again.status != 304 {
		t.Errorf("unchanged feed: %d", again.status)
	}
	r = s.do(t, "PUT", "/calendars/"+id+"/publication", token, `{"level":"titles"}`)
	if r.status != 200 || r.body["url"] != url {
		t.Fatalf("change level: %d %s", r.status, r.raw)
	}
	titles := fetch(t, url, feed.header.Get("ETag"))
	if titles.status != 200 || !strings.Contains(titles.raw, "SUMMARY:Meeting a") || !strings.Contains(titles.raw, "LOCATION:Room a") {
		t.Fatalf("titles feed: %d\n%s", titles.status, titles.raw)
	}
	r = s.do(t, "POST", "/calendars/"+id+"/publication/rotate", token, "")
	if r.status != 200 || r.body["url"] == url || r.body["level"] != "titles" {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}
	if old := fetch(t, url, ""); old.status != 404 {
		t.Errorf("old URL after rotation: %d", old.status)
	}
	newURL := r.body["url"].(string)
	other, _ := s.register(t, "bob")
	if r := s.do(t, "GET", "/calendars/"+id+"/publication", other, ""); r.status != 404 {
		t.Errorf("stranger reads the publication: %d", r.status)
	}
	if r := s.do(t, "DELETE", "/calendars/"+id+"/publication", token, ""); r.status != 204 {
		t.Fatalf("revoke: %d", r.status)
	}
	if gone := fetch(t, newURL, ""); gone.status != 404 {
		t.Errorf("revoked URL: %d", gone.status)
	}
}

func fetch(t *testing.T, url, etag string) reply {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	return (&testServer{}).send(t, req)
}

func TestSubscriptionOverJSON(t *testing.T) {
	s := newExternalServer(t)
	token, _ := s.register(t, "alice")
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(icsEvents("x", "y"))
	}))
	defer feed.Close()
	r := s.do(t, "POST", "/subscriptions", token, `{"url":"`+feed.URL+`/cal.ics","display_name":"Team","refresh_interval":"PT2H"}`)
	if r.status != 201 {
		t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	c := r.body["calendar"].(map[string]any)
	src := r.body["source"].(map[string]any)
	if c["read_only"] != true || c["source"] != "ics" || src["refresh_interval"] != "PT2H" || src["last_success_at"] == nil {
		t.Fatalf("subscription: %s", r.raw)
	}
	id := c["id"].(string)
	if r := s.upload(t, "/calendars/"+id+"/import", token, "text/calendar", icsEvents("z")); r.status != 403 ||
		r.body["type"] != problemBase+"read-only-calendar" {
		t.Errorf("import into a subscription: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/calendars/"+id+"/export.ics", token, ""); strings.Count(r.raw, "BEGIN:VEVENT") != 2 {
		t.Errorf("subscribed events: %s", r.raw)
	}
	if r := s.do(t, "PATCH", "/calendars/"+id+"/source", token, `{"refresh_interval":"PT1M"}`); r.status != 422 {
		t.Errorf("too short an interval: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/calendars/"+id+"/source/refresh", token, ""); r.status != 200 || r.body["failures"] != float64(0) {
		t.Errorf("refresh: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/subscriptions", token, `{"url":"`+feed.URL+`/missing","type":"caldav"}`); r.status != 422 ||
		r.body["type"] != problemBase+"source-unavailable" {
		t.Errorf("bad mirror: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/calendars", token, ""); !strings.Contains(r.raw, `"read_only":true`) || strings.Count(r.raw, `"caldav_url"`) != 3 {
		t.Errorf("calendars after a failed subscription: %s", r.raw)
	}
}
