package interop

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPythonCalDAVScheduling: alice and bob, two users of one server,
// schedule a weekly meeting with python3-caldav (RFC 6638): invitation in
// bob's schedule inbox, his acceptance, a declined week, and a free-busy
// request through the outbox.
func TestPythonCalDAVScheduling(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import caldav, icalendar").Run(); err != nil {
		missing(t, "python3-caldav is not installed")
	}
	s := startServer(t)
	s.run(t, "correct horse battery\n", "user", "add", "bob", "--email", "bob@example.com", "--password-stdin")
	out := s.run(t, "", "user", "app-password", "bob", "interop")
	bobPassword := strings.TrimSpace(out[strings.LastIndex(out, ":")+1:])
	out = runClient(t, ".", nil, py, "testdata/python_scheduling.py", s.url+"/dav/", s.password, bobPassword)
	if !strings.HasSuffix(strings.TrimSpace(out), "OK") {
		t.Fatalf("python caldav scheduling: %s", out)
	}
}
