package interop

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A daily stand-up in March 2026 with the Wednesday moved to the
// afternoon (an override).
const standup = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//interop//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART:20260302T090000Z\r\nDTEND:20260302T091500Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Stand-up\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260304T090000Z\r\n" +
	"DTSTART:20260304T160000Z\r\nDTEND:20260304T161500Z\r\nSUMMARY:Stand-up (afternoon)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

const retro = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//khal//test//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:retro@example.com\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART:20260306T140000Z\r\nDTEND:20260306T150000Z\r\nSUMMARY:Retro\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// TestVdirsyncerKhal syncs a calendar with a recurring event and an
// override both ways with vdirsyncer, then lists the week with khal.
func TestVdirsyncerKhal(t *testing.T) {
	vdir := need(t, "vdirsyncer")
	khal := need(t, "khal")
	s := startServer(t)
	if code, body := s.do(t, "MKCALENDAR", "/dav/calendars/alice/team/", ""); code != http.StatusCreated {
		t.Fatalf("MKCALENDAR: %d %s", code, body)
	}
	if code, body := s.do(t, "PUT", "/dav/calendars/alice/team/standup.ics", standup, "Content-Type", "text/calendar"); code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", code, body)
	}
	dir := t.TempDir()
	local := filepath.Join(dir, "local")
	env := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "TZ=UTC", "LC_ALL=C.UTF-8"}
	conf := filepath.Join(dir, "vdirsyncer.conf")
	write(t, conf, fmt.Sprintf(`[general]
status_path = "%s/status/"

[pair team]
a = "team_local"
b = "team_remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage team_local]
type = "filesystem"
path = "%s/"
fileext = ".ics"

[storage team_remote]
type = "caldav"
url = "%s/dav/"
username = "alice"
password = "%s"
`, dir, local, s.url, s.password))
	runClient(t, dir, env, "sh", "-c", "yes | "+vdir+" -c "+conf+" discover team")
	runClient(t, dir, env, vdir, "-c", conf, "sync")
	files, _ := filepath.Glob(filepath.Join(local, "team", "*.ics"))
	if len(files) != 1 {
		t.Fatalf("after the first sync the local calendar holds %d files, want 1", len(files))
	}
	write(t, filepath.Join(local, "team", "retro.ics"), retro)
	runClient(t, dir, env, vdir, "-c", conf, "sync")
	// vdirsyncer picks the remote name itself; find the event by its UID.
	query := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match>retro@example.com</C:text-match>
</C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	if code, body := s.do(t, "REPORT", "/dav/calendars/alice/team/", query, "Depth", "1"); code != http.StatusMultiStatus || !strings.Contains(body, "UID:retro@example.com") {
		t.Fatalf("local event did not reach the server: %d %s", code, body)
	}

	khalConf := filepath.Join(dir, "khal.conf")
	write(t, khalConf, fmt.Sprintf(`[calendars]
[[team]]
path = %s/team/
type = calendar

[locale]
timeformat = %%H:%%M
dateformat = %%Y-%%m-%%d
longdateformat = %%Y-%%m-%%d
datetimeformat = %%Y-%%m-%%d %%H:%%M
longdatetimeformat = %%Y-%%m-%%d %%H:%%M
local_timezone = UTC
default_timezone = UTC
`, local))
	out := runClient(t, dir, env, khal, "-c", khalConf, "list", "--format", "{start} {title}", "--day-format", "", "2026-03-02", "2026-03-08")
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			got = append(got, l)
		}
	}
	want := []string{
		"2026-03-02 09:00 Stand-up", "2026-03-03 09:00 Stand-up", "2026-03-04 16:00 Stand-up (afternoon)",
		"2026-03-05 09:00 Stand-up", "2026-03-06 09:00 Stand-up", "2026-03-06 14:00 Retro",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("khal list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
