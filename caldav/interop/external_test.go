package interop

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// python finds a python3 that has the named module (Debian's packages
// live under /usr/bin/python3 even when another python3 comes first).
func python(t *testing.T, module, pkg string) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil && exec.Command(p, "-c", "import "+module).Run() == nil {
			return p
		}
	}
	missing(t, pkg+" is not installed")
	return ""
}

// TestICSRoundTrip imports exports shaped like Outlook's and Google's with
// "almanac import", exports the calendar (CalDAV GET on the collection,
// and "almanac export"), and has python3-icalendar and ical.js read the
// export; then imports a calendar that python3-icalendar wrote.
func TestICSRoundTrip(t *testing.T) {
	py := python(t, "icalendar", "python3-icalendar")
	node := need(t, "node", "nodejs")
	if _, err := os.Stat("node_modules/ical.js"); err != nil {
		missing(t, "ical.js is not installed in caldav/interop/node_modules (npm install ical.js)")
	}
	s := startServer(t)
	for _, f := range []string{"outlook.ics", "google.ics"} {
		out := s.run(t, "", "import", "--user", "alice", "--calendar", "imported", "../../calendar/testdata/import/"+f)
		if !strings.Contains(out, "0 failed") || strings.Contains(out, "\r") {
			t.Fatalf("almanac import %s: %s", f, out)
		}
	}
	status, body := s.do(t, "GET", "/dav/calendars/alice/imported/", "", "Accept", "text/calendar")
	if status != 200 {
		t.Fatalf("GET collection: %d", status)
	}
	file := filepath.Join(t.TempDir(), "export.ics")
	s.run(t, "", "export", "--user", "alice", "--calendar", "imported", file)
	exported, err := os.ReadFile(file)
	if err != nil || string(exported) != body {
		t.Fatalf("almanac export differs from GET on the collection (%v)", err)
	}
	pyOut := runClient(t, ".", nil, py, "testdata/ics_python.py", "read", file)
	for _, want := range []string{
		"7kukuqrfedlm2f9t0vo0c6p4c1@google.com|Family dinner|20260103T230000Z",
		"2f0b1c9d8e7a@google.com|Anniversary|20260214",
		// The Windows zone is resolved from the VTIMEZONE we exported.
		"|Berlin sync|20260106T090000Z",
		"|Call with Seattle|20260309T160000Z",
		"7kukuqrfedlm2f9t0vo0c6p4c1@google.com|Family dinner at grandma's|20260118T000000Z",
	} {
		if !strings.Contains(pyOut, want) {
			t.Errorf("python3-icalendar read:\n%s\nwant a line with %q", pyOut, want)
		}
	}
	jsOut := runClient(t, ".", nil, node, "testdata/ics_icaljs.cjs", file)
	for _, want := range []string{
		// ical.js resolves the Windows zone from the VTIMEZONE we exported.
		"|Berlin sync|20260106T090000Z|20260113T090000Z,20260120T090000Z",
		"|Call with Seattle|20260309T160000Z|",
		"7kukuqrfedlm2f9t0vo0c6p4c1@google.com|Family dinner|20260103T230000Z|20260110T230000Z,20260117T230000Z",
	} {
		if !strings.Contains(jsOut, want) {
			t.Errorf("ical.js read:\n%s\nwant a line with %q", jsOut, want)
		}
	}
	written := filepath.Join(t.TempDir(), "python.ics")
	runClient(t, ".", nil, py, "testdata/ics_python.py", "write", written)
	out := s.run(t, "", "import", "--user", "alice", "--calendar", "frompython", written)
	if !strings.Contains(out, "3 objects: 3 created, 0 updated, 0 unchanged, 0 failed") {
		t.Fatalf("importing python-icalendar's calendar: %s", out)
	}
	if again := s.run(t, "", "import", "--user", "alice", "--calendar", "frompython", written); !strings.Contains(again, "3 unchanged") {
		t.Errorf("importing it again: %s", again)
	}
	_, back := s.do(t, "GET", "/dav/calendars/alice/frompython/", "")
	if !strings.Contains(back, "RECURRENCE-ID;TZID=Europe/Berlin:20260309T090000") || !strings.Contains(back, `Holiday\; with\, punctuation`) {
		t.Errorf("python's calendar as stored:\n%s", back)
	}
}

// TestPublishWithCurl publishes a calendar and fetches its secret URL
// with curl, conditionally.
func TestPublishWithCurl(t *testing.T) {
	curl := need(t, "curl")
	s := startServer(t)
	s.run(t, "", "import", "--user", "alice", "--calendar", "work", "../../calendar/testdata/import/outlook.ics")
	token := login(t, s)
	cals := api(t, s, token, "GET", "/api/v1/calendars", "")
	var list []map[string]any
	_ = json.Unmarshal([]byte(cals), &list)
	var id string
	for _, c := range list {
		if c["caldav_url"] == "/dav/calendars/alice/work/" {
			id, _ = c["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("calendars: %s", cals)
	}
	var pub map[string]any
	_ = json.Unmarshal([]byte(api(t, s, token, "PUT", "/api/v1/calendars/"+id+"/publication", `{"level":"busy"}`)), &pub)
	url, _ := pub["url"].(string)
	if !strings.Contains(url, "/ical/") {
		t.Fatalf("publication: %v", pub)
	}
	headers := filepath.Join(t.TempDir(), "headers")
	out := runClient(t, ".", nil, curl, "-sS", "--fail", "-D", headers, url)
	if !strings.Contains(out, "SUMMARY:Busy") || strings.Contains(out, "Berlin sync") || !strings.Contains(out, "METHOD:PUBLISH") {
		t.Fatalf("published feed:\n%s", out)
	}
	h, _ := os.ReadFile(headers)
	etag, lastMod := header(string(h), "ETag"), header(string(h), "Last-Modified")
	if etag == "" || lastMod == "" {
		t.Fatalf("validators missing:\n%s", h)
	}
	for _, args := range [][]string{{"-H", "If-None-Match: " + etag}, {"-z", lastMod}} {
		code := runClient(t, ".", nil, curl, append([]string{"-sS", "-o", "/dev/null", "-w", "%{http_code}"}, append(args, url)...)...)
		if code != "304" {
			t.Errorf("curl %v: %s, want 304", args, code)
		}
	}
	api(t, s, token, "DELETE", "/api/v1/calendars/"+id+"/publication", "")
	if code := runClient(t, ".", nil, curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", url); code != "404" {
		t.Errorf("revoked URL: %s", code)
	}
}

func header(block, name string) string {
	for _, l := range strings.Split(block, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func login(t *testing.T, s *server) string {
	t.Helper()
	var out map[string]any
	_ = json.Unmarshal([]byte(api(t, s, "", "POST", "/api/v1/users/login", `{"login":"alice","password":"correct horse battery"}`)), &out)
	token, _ := out["token"].(string)
	if token == "" {
		t.Fatalf("login: %v", out)
	}
	return token
}

func api(t *testing.T, s *server, token, method, path, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	return string(b)
}
