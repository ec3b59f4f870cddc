package main

import (
	"bufio"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The image cannot be built here (no container engine); these tests check
// what can be checked without one: the unit with systemd's own tools, and
// the image's binary built as the Dockerfile builds it and run as the
// image runs it.

// TestSystemdUnit verifies the units in deploy/ and holds the exposure of
// each service (systemd-analyze security) to at most 2.0 of 10.
func TestSystemdUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("ALMANAC_TEST_REQUIRE_CLIENTS") == "1" {
			t.Fatal("systemd-analyze is not installed")
		}
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	units := []string{"almanac.service", "almanac-backup.service", "almanac-backup.timer"}
	for _, name := range units {
		unit, err := os.ReadFile("../../deploy/" + name)
		if err != nil {
			t.Fatal(err)
		}
		// verify wants ExecStart's program to exist.
		unit = []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/almanac", "/bin/true"))
		if err := os.WriteFile(filepath.Join(dir, name), unit, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checks := [][]string{{"verify", "--man=no", "./" + units[0], "./" + units[1], "./" + units[2]}}
	for _, name := range units[:2] {
		checks = append(checks, []string{"security", "--offline=true", "--threshold=20", "--no-pager", "./" + name})
	}
	for _, args := range checks {
		cmd := exec.Command("systemd-analyze", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze %v: %v\n%s", args, err, out)
		}
	}
}

// TestDockerfile builds the binary with the Dockerfile's own go build line,
// checks that it is static (it must run on a base with no C library), and
// runs it with the image's settings, as the image's unprivileged user when
// the test can switch to it.
func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	df, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	build, env := dockerfileBuild(t, string(df))
	dir := t.TempDir()
	bin := filepath.Join(dir, "almanac")
	cmd := exec.Command("go", replaceArg(build[1:], "/out/almanac", bin)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", build, err, out)
	}
	checkStatic(t, bin)
	for _, want := range []string{"ARG BASE_IMAGE=gcr.io/distroless/static", "FROM ${BASE_IMAGE}", "USER 65532:65532", "ALMANAC_DATA_DIR=/data", `CMD ["serve"]`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	runAsImage(t, dir, bin)
}

// dockerfileBuild finds the RUN line that builds the binary and returns
// the command and the variables it sets.
func dockerfileBuild(t *testing.T, df string) (args, env []string) {
	t.Helper()
	for _, line := range strings.Split(df, "\n") {
		if !strings.HasPrefix(line, "RUN ") || !strings.Contains(line, "go build") {
			continue
		}
		for _, f := range shellFields(strings.TrimPrefix(line, "RUN ")) {
			if len(args) == 0 && strings.Contains(f, "=") {
				env = append(env, f)
			} else {
				args = append(args, f)
			}
		}
		return args, env
	}
	t.Fatal("no go build in the Dockerfile")
	return nil, nil
}

// shellFields splits a command line at spaces outside double quotes, and
// drops the quotes, as the shell in a RUN line does.
func shellFields(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

func replaceArg(args []string, old, new string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == old {
			out[i] = new
		}
	}
	return out
}

// checkStatic fails unless bin needs no dynamic loader or library.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary needs a dynamic loader: the distroless static base has none")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary needs %v", libs)
	}
}

// runAsImage starts the binary with the image's command and settings
// (a data directory of its own, owned by user 65532 as /data is) and
// waits for it to be ready, then stops it.
func runAsImage(t *testing.T, dir, bin string) {
	t.Helper()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
	cmd.Env = []string{"ALMANAC_DATA_DIR=" + data} // nothing else: the image has no other variables
	if os.Geteuid() == 0 {
		// The test's temporary directories are private to root.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(data, 65532, 65532); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := ""
	sc := bufio.NewScanner(stdout)
	for url == "" && sc.Scan() {
		url, _ = strings.CutPrefix(sc.Text(), readyLine)
	}
	if url == "" {
		t.Fatal("the server did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	resp, err := (&http.Client{Timeout: time.Minute}).Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// readyLine starts the line "almanac serve" prints once it serves.
const readyLine = "Almanac is serving on "
