package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/reminders"
	"github.com/almanac/almanac/scheduling"
	"github.com/almanac/almanac/store"
	"golang.org/x/term"
)

const importUsage = `Usage: almanac import --user USER --calendar CALENDAR FILE.ics

Imports an iCalendar file (an export from Google, Outlook, Apple,
Thunderbird or another server; "-" reads standard input) into a calendar
of USER, named by its URL name or its id. A calendar that does not exist is
created, named after the file's calendar. Objects are stored one per UID;
importing the same file again updates them, and leaves unchanged ones
alone. Objects that cannot be stored are listed and the rest are imported.

Exit status: 0 when everything was imported, 1 when something was not, 2 on
a usage error.`

const exportUsage = `Usage: almanac export --user USER --calendar CALENDAR [FILE.ics]

Writes a calendar of USER as one iCalendar file (standard output when FILE
is absent or "-").`

type transferFlags struct {
	storage  storageConfig
	user     string
	calendar string
	limits   limitsConfig // import only
}

func (f *transferFlags) register(s *settings) {
	f.storage.register(s)
	s.fs.StringVar(&f.user, "user", "", "the user who owns the calendar")
	s.fs.StringVar(&f.calendar, "calendar", "", "the calendar's URL name or id")
}

// parse reads the flags and at most one file argument.
func (f *transferFlags) parse(s *settings, args []string) (string, error) {
	pos, err := parseInterleaved(s, args)
	if err != nil {
		return "", err
	}
	if f.user == "" || f.calendar == "" || len(pos) > 1 {
		return "", fmt.Errorf("--user and --calendar are required, and one file at most")
	}
	if len(pos) == 0 {
		return "-", nil
	}
	return pos[0], nil
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac import", importUsage)
	s.fs.SetOutput(stderr)
	var f transferFlags
	f.register(s)
	f.limits.registerDates(s)
	file, err := f.parse(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	limits, err := f.limits.limits()
	if err != nil {
		return exitUsage(err, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	code, err := importFile(ctx, f, limits, file, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "almanac import:", err)
		return 1
	}
	return code
}

func importFile(ctx context.Context, f transferFlags, limits calendar.Limits, file string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	src, size, cleanup, err := openInput(file, stdin)
	if err != nil {
		return 1, err
	}
	defer cleanup()
	st, err := f.storage.open(ctx, 2)
	if err != nil {
		return 1, err
	}
	defer st.Close()
	cals := calendar.New(st, calendar.Options{Hooks: hooks(nil, reminders.New(st, reminders.Options{})), Limits: limits})
	u, cal, created, err := importTarget(ctx, st, cals, f, file, stdout)
	if err != nil {
		return 1, err
	}
	bar := newProgress(stderr, "importing")
	bar.note("reading " + file + " …")
	rep, err := cals.Import(ctx, u, cal, src, size, calendar.ImportOptions{Progress: bar.update})
	bar.done()
	if err != nil {
		return 1, err
	}
	if created {
		describe(ctx, cals, u, cal, rep.Calendar)
	}
	printReport(stdout, stderr, rep, u.Name+"/"+cal.Name)
	if rep.Failed > 0 {
		return 1, nil
	}
	return 0, nil
}

// importTarget finds the calendar, creating it when it does not exist.
func importTarget(ctx context.Context, st *store.Store, cals *calendar.Service, f transferFlags, file string, stdout io.Writer) (*store.User, *store.Calendar, bool, error) {
	u, err := st.GetUserByName(ctx, f.user)
	if err != nil {
		return nil, nil, false, fmt.Errorf("user %q: %w", f.user, err)
	}
	cal, err := findCalendar(ctx, st, u, f.calendar)
	if !errors.Is(err, store.ErrNotFound) {
		return u, cal, false, err
	}
	cal = &store.Calendar{Name: f.calendar, DisplayName: f.calendar, Components: []string{"VEVENT", "VTODO", "VJOURNAL"}}
	if file != "-" {
		cal.DisplayName = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if err := cals.CreateCalendar(ctx, u, cal); err != nil {
		return nil, nil, false, fmt.Errorf("creating calendar %q: %w", f.calendar, err)
	}
	fmt.Fprintf(stdout, "created calendar %s/%s\n", u.Name, cal.Name)
	return u, cal, true, nil
}

// describe gives a calendar the import created the name, description,
// colour and time zone the file's calendar had (X-WR-CALNAME and RFC 7986
// NAME, …), where they are valid; an export imported again looks the same.
func describe(ctx context.Context, cals *calendar.Service, u *store.User, cal *store.Calendar, p icalendar.CalendarProps) {
	c := *cal
	for _, set := range []func(){
		func() { c.DisplayName = cmp.Or(p.Name, c.DisplayName) },
		func() { c.Description = p.Description },
		func() { c.Color = p.Color },
		func() { c.TimeZone = p.TimeZone },
	} {
		before := c
		set()
		if calendar.CheckCalendar(&c) != nil {
			c = before // a value this server cannot take is left out
		}
	}
	_ = cals.UpdateCalendar(ctx, u, &c)
}

func findCalendar(ctx context.Context, st *store.Store, u *store.User, nameOrID string) (*store.Calendar, error) {
	cal, err := st.GetCalendarByName(ctx, u.ID, nameOrID)
	if errors.Is(err, store.ErrNotFound) {
		if c, err2 := st.GetCalendarByUUID(ctx, nameOrID); err2 == nil && c.OwnerID == u.ID {
			return c, nil
		}
	}
	return cal, err
}

// openInput opens the file to import as random-access input; standard
// input is copied to a temporary file first, since the importer reads each
// object's parts again after finding them.
func openInput(file string, stdin io.Reader) (io.ReaderAt, int64, func(), error) {
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, 0, nil, err
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, 0, nil, err
		}
		return fh, fi.Size(), func() { fh.Close() }, nil
	}
	tmp, err := os.CreateTemp("", "almanac-import-*.ics")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, stdin)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return tmp, n, cleanup, nil
}

func printReport(stdout, stderr io.Writer, rep *calendar.ImportReport, where string) {
	fmt.Fprintf(stdout, "imported into %s: %d objects: %d created, %d updated, %d unchanged, %d failed\n",
		where, rep.Total, rep.Created, rep.Updated, rep.Unchanged, rep.Failed)
	for _, w := range rep.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	const shown = 50
	for i, e := range rep.Errors {
		if i == shown {
			fmt.Fprintf(stderr, "… and %d more\n", rep.Failed-shown)
			break
		}
		fmt.Fprintf(stderr, "line %d: %s: %s\n", e.Line, orNone(e.UID), e.Message)
	}
}

func orNone(uid string) string {
	if uid == "" {
		return "(no UID)"
	}
	return uid
}

func runExport(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	s := newSettings("almanac export", exportUsage)
	s.fs.SetOutput(stderr)
	var f transferFlags
	f.register(s)
	file, err := f.parse(s, args)
	if err != nil {
		return exitUsage(err, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := exportFile(ctx, f, file, stdout); err != nil {
		fmt.Fprintln(stderr, "almanac export:", err)
		return 1
	}
	return 0
}

func exportFile(ctx context.Context, f transferFlags, file string, stdout io.Writer) error {
	st, err := f.storage.open(ctx, 2)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.GetUserByName(ctx, f.user)
	if err != nil {
		return fmt.Errorf("user %q: %w", f.user, err)
	}
	cal, err := findCalendar(ctx, st, u, f.calendar)
	if err != nil {
		return fmt.Errorf("calendar %q: %w", f.calendar, err)
	}
	out := stdout
	if file != "-" {
		// Written beside the target and renamed, so a failed export
		// leaves no truncated file behind.
		tmp, err := os.CreateTemp(filepath.Dir(file), ".almanac-export-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if err := calendar.New(st, calendar.Options{}).Export(ctx, u, cal, tmp); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), file)
	}
	return calendar.New(st, calendar.Options{}).Export(ctx, u, cal, out)
}

// hooks are the features that take part in every object write (see
// calendar.Hook); the server and the importer use the same list. The
// importer has no scheduler: implicit scheduling leaves imported data
// alone anyway (calendar.OriginImport). Reminders come last, so that they
// see what is stored; imported events get theirs like any other.
func hooks(sched *scheduling.Scheduler, rem *reminders.Service) []calendar.Hook {
	var out []calendar.Hook
	if sched != nil {
		out = append(out, sched)
	}
	if rem != nil {
		out = append(out, rem.Hook())
	}
	return out
}

// progress draws a progress bar on a terminal; elsewhere it stays silent,
// so that logs and pipes get the summary only.
type progress struct {
	w     io.Writer
	label string
	on    bool
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, on: isTerminal(w), start: time.Now()}
}

func (p *progress) update(done, total int) {
	if !p.on || (time.Since(p.last) < 100*time.Millisecond && done > 0 && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	filled := int(frac * width)
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
	eta := ""
	if rate > 0 && done < total {
		eta = fmt.Sprintf(", %s left", (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r%s %3.0f%% [%s%s] %d/%d objects, %.0f/s%s\x1b[K", p.label, frac*100,
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total, rate, eta)
}

// note shows what happens before the bar can (reading the file).
func (p *progress) note(s string) {
	if p.on {
		fmt.Fprintf(p.w, "\r%s\x1b[K", s)
	}
}

func (p *progress) done() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
