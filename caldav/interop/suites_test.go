package interop

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSuites runs the third-party suites CalDAV servers are judged by
// (python-caldav's TestForServer, vdirsyncer's CalDAV storage tests and
// Apple's CalDAVTester, from ../shared/suites) against a server built from
// this tree, on SQLite and, when the tests have one, PostgreSQL, through
// scripts/conformance.sh. Every failure must be one of those listed in
// testdata/suites-known-failures.txt, each of which docs/conformance.md
// explains; the server must log no panic and answer no 5xx.
func TestSuites(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three test suites against the server binary")
	}
	suites := suitesDir(t)
	for _, mod := range []string{"caldav", "pytest", "pytest_asyncio", "hypothesis", "pytest_httpserver", "trustme", "aioresponses"} {
		if exec.Command("/usr/bin/python3", "-c", "import "+mod).Run() != nil {
			missing(t, "Debian's python3 lacks "+mod+" (.ci/run installs it)")
		}
	}
	need(t, "vdirsyncer")
	if caldavTesterRuns(suites) {
		need(t, "python2.7") // CalDAVTester is Python 2 (pyenv's 2.7.18 here)
	}
	known := knownFailures(t)
	stores := []string{"sqlite"}
	if os.Getenv("ALMANAC_TEST_DATABASE_URL") != "" {
		stores = append(stores, "postgres")
	}
	bin := binary(t)
	for _, st := range stores {
		t.Run(st, func(t *testing.T) {
			out := t.TempDir()
			runSuites(t, suites, bin, st, out)
			for _, s := range []string{"python-caldav", "vdirsyncer", "caldavtester"} {
				checkSuite(t, s, filepath.Join(out, s+".log"), known[s])
			}
		})
	}
}

// suitesDir finds the suites: $ALMANAC_SUITES_DIR, else shared/suites
// beside the checkout or beside one of its parents (../shared/suites for a
// checkout next to them). Without them the test skips, unless
// ALMANAC_TEST_REQUIRE_SUITES=1 (.ci/run sets it when it found them).
func suitesDir(t *testing.T) string {
	dir := os.Getenv("ALMANAC_SUITES_DIR")
	if dir == "" {
		dir = findSuites()
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		_, err = os.Stat(filepath.Join(abs, "run-python-caldav.sh"))
	}
	if err != nil {
		why := "the third-party suites are not in ../shared/suites (set ALMANAC_SUITES_DIR)"
		if os.Getenv("ALMANAC_TEST_REQUIRE_SUITES") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	return abs
}

// findSuites walks up from the checkout (this package is two levels in).
func findSuites() string {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return ""
	}
	for {
		parent := filepath.Dir(dir)
		cand := filepath.Join(parent, "shared", "suites")
		if _, err := os.Stat(filepath.Join(cand, "run-python-caldav.sh")); err == nil {
			return cand
		}
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// runSuites runs the script; it fails when the server logged a panic or a
// 5xx answer.
func runSuites(t *testing.T, suites, bin, store, out string) {
	t.Helper()
	cmd := exec.Command("../../scripts/conformance.sh", store)
	cmd.Env = append(os.Environ(), "ALMANAC_SUITES_DIR="+suites, "ALMANAC_BIN="+bin, "CONFORMANCE_OUT="+out)
	if !caldavTesterRuns(suites) {
		// The copy of CalDAVTester in the suites folder may lack its test
		// files; then it cannot run here at all (see docs/conformance.md).
		cmd.Args = append(cmd.Args, "python-caldav", "vdirsyncer")
	}
	done := make(chan struct{})
	time.AfterFunc(15*time.Minute, func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
		}
	})
	b, err := cmd.CombinedOutput()
	close(done)
	t.Logf("%s", b)
	if err != nil {
		server, _ := os.ReadFile(filepath.Join(out, "server.log"))
		t.Fatalf("conformance.sh %s: %v (the server logged a panic or a 5xx answer?)\n%s", store, err, lastLines(string(server), 40))
	}
}

func caldavTesterRuns(suites string) bool {
	if _, err := os.Stat(filepath.Join(suites, "caldavtester", "scripts", "tests", "CalDAV")); err == nil {
		return true
	}
	return os.Getenv("ALMANAC_CALDAVTESTER_TESTS") != ""
}

// checkSuite compares a suite's failures with the known ones.
func checkSuite(t *testing.T, suite, log string, known map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) && suite == "caldavtester" {
		t.Logf("CalDAVTester did not run: ../shared/suites/caldavtester has no scripts/tests/CalDAV and ALMANAC_CALDAVTESTER_TESTS names no copy of them")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	failed, count := suiteFailures(suite, string(data))
	if count < 0 {
		t.Fatalf("%s printed no summary line:\n%s", suite, lastLines(string(data), 60))
	}
	// CalDAVTester's script prints the last 400 lines of its report: the
	// earliest failures may be cut, so the count is checked as well.
	if count > len(known) || (suite != "caldavtester" && count != len(failed)) {
		t.Errorf("%s: %d failures (the report names %d, %d are known): %v", suite, count, len(failed), len(known), failed)
	}
	var unexpected []string
	for _, f := range failed {
		if !known[f] {
			unexpected = append(unexpected, f)
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("%s: %d failures not among the known ones (testdata/suites-known-failures.txt):\n  %s\n\n%s",
			suite, len(unexpected), strings.Join(unexpected, "\n  "), lastLines(string(data), 200))
	}
	t.Logf("%s: %s", suite, summaryLine(string(data)))
}

var (
	pytestFailed   = regexp.MustCompile(`^(?:FAILED|ERROR) \S+::(\S+?)(?: - .*)?$`)
	pytestSummary  = regexp.MustCompile(`(\d+) failed`)
	cdtTest        = regexp.MustCompile(`^scripts\.tests\.CalDAV\.(\S.*)$`)
	cdtSummary     = regexp.MustCompile(`^(\d+) passed, (\d+) failed$`)
	cdtSetupFailed = regexp.MustCompile(`^files whose set-up failed, so none of their tests ran: (.*)$`)
)

// suiteFailures lists the failed tests a suite's report names and the
// number of failures its summary line gives (-1: no summary line).
func suiteFailures(suite, report string) ([]string, int) {
	var failed []string
	count := -1
	lines := strings.Split(report, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \r")
		if suite != "caldavtester" {
			if m := pytestFailed.FindStringSubmatch(l); m != nil {
				failed = append(failed, m[1])
			}
			if strings.Contains(l, " passed") && strings.Contains(l, " in ") {
				count = 0
				if m := pytestSummary.FindStringSubmatch(l); m != nil {
					count, _ = strconv.Atoi(m[1])
				}
			}
			continue
		}
		if m := cdtTest.FindStringSubmatch(l); m != nil && i+2 < len(lines) &&
			(strings.HasPrefix(lines[i+2], "[FAILED]") || strings.HasPrefix(lines[i+2], "[ERROR]")) {
			failed = append(failed, m[1])
		}
		if m := cdtSetupFailed.FindStringSubmatch(l); m != nil {
			for _, f := range strings.Fields(m[1]) {
				failed = append(failed, "set-up of "+f)
			}
		}
		if m := cdtSummary.FindStringSubmatch(l); m != nil {
			count, _ = strconv.Atoi(m[2])
		}
	}
	sort.Strings(failed)
	return dedupe(failed), count
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// knownFailures reads testdata/suites-known-failures.txt: "suite<TAB>test"
// per line, # comments.
func knownFailures(t *testing.T) map[string]map[string]bool {
	f, err := os.Open(filepath.Join("testdata", "suites-known-failures.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		suite, test, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("suites-known-failures.txt: %q has no tab", l)
		}
		if out[suite] == nil {
			out[suite] = map[string]bool{}
		}
		out[suite][test] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func summaryLine(report string) string {
	lines := strings.Split(strings.TrimSpace(report), "\n")
	return lines[len(lines)-1]
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
