package caldav_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestScenarios replays each request sequence in testdata/scenarios against
// a fresh server on each store and compares the answers with
// testdata/golden. A scenario is a list of requests:
//
//	### METHOD /path
//	Header: value          (User: bob or User: - to change who asks)
//
//	body                   (text/calendar bodies get CRLF line ends)
func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenarios/*.txt")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			reqs := readScenario(t, f)
			golden := filepath.Join("testdata", "golden", name+".txt")
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				srv := newServer(t, st, scenarioLimits(name))
				got := srv.replay(t, reqs)
				if *update {
					if st.Dialect() == "sqlite" {
						if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("answers differ from %s (run with -update and review the diff):\n%s", golden, diff(string(want), got))
				}
			})
		})
	}
}

// scenarioLimits are the limits a scenario runs with: a quota for the
// one about limits, so that it can show RFC 4331's properties and
// precondition.
func scenarioLimits(name string) calendar.Limits {
	lim := calendar.Limits{MaxResourceSize: 64 << 10}
	if name == "limits" {
		lim.QuotaBytes = 800
	}
	return lim
}

type scenarioRequest struct {
	method, path, user, body string
	header                   []string
}

func readScenario(t *testing.T, path string) []scenarioRequest {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []scenarioRequest
	for _, block := range strings.Split("\n"+string(data), "\n### ")[1:] {
		head, body, _ := strings.Cut(block, "\n\n")
		lines := strings.Split(head, "\n")
		method, p, _ := strings.Cut(lines[0], " ")
		r := scenarioRequest{method: method, path: strings.TrimSpace(p), user: "alice"}
		calendarBody := false
		for _, l := range lines[1:] {
			if strings.TrimSpace(l) == "" {
				continue
			}
			k, v, _ := strings.Cut(l, ":")
			v = strings.TrimSpace(v)
			if k == "User" {
				r.user = strings.TrimPrefix(v, "-")
				continue
			}
			if strings.EqualFold(k, "Content-Type") && strings.HasPrefix(v, "text/calendar") {
				calendarBody = true
			}
			r.header = append(r.header, k, v)
		}
		body = strings.TrimRight(body, "\n")
		if calendarBody {
			body = strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
		} else if body != "" {
			body += "\n"
		}
		r.body = body
		out = append(out, r)
	}
	return out
}

// Headers worth comparing; the rest vary or say nothing.
var shownHeaders = []string{"Allow", "Content-Encoding", "Content-Type", "DAV", "ETag", "Last-Modified", "Location", "Preference-Applied", "Retry-After", "WWW-Authenticate"}

func (s *testServer) replay(t *testing.T, reqs []scenarioRequest) string {
	var b strings.Builder
	for _, r := range reqs {
		rep := s.do(t, r.user, r.method, r.path, s.expandPlaceholders(t, r.body), r.header...)
		fmt.Fprintf(&b, "### %s %s\n%d %s\n", r.method, r.path, rep.status, http.StatusText(rep.status))
		var hs []string
		for _, h := range shownHeaders {
			if v := rep.header.Get(h); v != "" {
				hs = append(hs, h+": "+normalize(v))
			}
		}
		sort.Strings(hs)
		for _, h := range hs {
			b.WriteString(h + "\n")
		}
		if rep.body != "" {
			b.WriteString("\n" + normalize(pretty(rep.body)) + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

var placeholderRE = regexp.MustCompile(`\{uuid:([^}]+)\}`)

// expandPlaceholders replaces {uuid:NAME} by the id of alice's calendar
// NAME, so that scenarios can write sync tokens.
func (s *testServer) expandPlaceholders(t *testing.T, body string) string {
	return placeholderRE.ReplaceAllStringFunc(body, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		u, err := s.st.GetUserByName(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.st.GetCalendarByName(context.Background(), u.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		return c.UUID
	})
}

var (
	uuidRE     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	httpDateRE = regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`)
	isoDateRE  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	dtstampRE  = regexp.MustCompile(`(?m)^DTSTAMP:\d{8}T\d{6}Z$`)
	// A home's CTag digests its calendars' state.
	homeTokenRE = regexp.MustCompile(`data:,home/[0-9a-f]*`)
	// The test server listens on a new port each time.
	hostRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

// normalize replaces what differs from run to run.
func normalize(s string) string {
	s = uuidRE.ReplaceAllString(s, "UUID")
	s = httpDateRE.ReplaceAllString(s, "HTTP-DATE")
	s = isoDateRE.ReplaceAllString(s, "ISO-DATE")
	s = dtstampRE.ReplaceAllString(s, "DTSTAMP:NOW")
	s = homeTokenRE.ReplaceAllString(s, "data:,home/TOKEN")
	s = hostRE.ReplaceAllString(s, "http://HOST")
	return s
}

// pretty puts each XML element on its own line, indented, so that golden
// diffs are readable. Text content is left as it is.
func pretty(s string) string {
	if !strings.HasPrefix(s, "<?xml") {
		return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		if text := s[i : i+j]; strings.TrimSpace(text) != "" {
			b.WriteString(text)
		}
		i += j
		k := strings.IndexByte(s[i:], '>')
		tag := s[i : i+k+1]
		i += k + 1
		closing := strings.HasPrefix(tag, "</")
		selfClosing := strings.HasSuffix(tag, "/>") || strings.HasPrefix(tag, "<?")
		if closing {
			depth--
		}
		prevText := b.Len() > 0 && !strings.HasSuffix(b.String(), ">")
		if !(closing && prevText) {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(strings.Repeat("  ", max(depth, 0)))
		}
		b.WriteString(tag)
		if !closing && !selfClosing {
			depth++
		}
	}
	return b.String()
}

// diff shows the first lines where two texts differ.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
