package calendar

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func importBytes(t *testing.T, f *fixture, cal *store.Calendar, data []byte) *ImportReport {
	t.Helper()
	rep, err := f.s.Import(context.Background(), f.owner, cal, bytes.NewReader(data), int64(len(data)), ImportOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestImportRealExports imports exports shaped like those of Outlook
// (Windows TZIDs), Google (overrides apart from their master), Apple (LF
// line ends, structured locations) and Thunderbird, twice: the second
// time nothing changes.
func TestImportRealExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		for file, want := range map[string]int{"outlook.ics": 3, "google.ics": 2, "apple.ics": 2, "thunderbird.ics": 3} {
			data, err := os.ReadFile(filepath.Join("testdata", "import", file))
			if err != nil {
				t.Fatal(err)
			}
			cal := f.cal
			if file != "outlook.ics" {
				cal = &store.Calendar{Name: strings.TrimSuffix(file, ".ics"), Components: []string{"VEVENT", "VTODO"}}
				if err := f.s.CreateCalendar(context.Background(), f.owner, cal); err != nil {
					t.Fatal(err)
				}
			}
			rep := importBytes(t, f, cal, data)
			if rep.Created != want || rep.Failed != 0 || rep.Total != want {
				t.Fatalf("%s: %+v", file, rep)
			}
			again := importBytes(t, f, cal, data)
			if again.Unchanged != want || again.Created+again.Updated != 0 {
				t.Errorf("%s imported again: %+v", file, again)
			}
		}
		// Outlook's weekly Tuesday series in W. Europe Standard Time, with
		// one instance moved to Wednesday 14:00 and one excluded.
		got := f.starts(t, "2026-01-19T00:00:00Z", "2026-02-24T00:00:00Z", nil)
		want := "01-21T13:00Z 01-27T09:00Z 02-03T09:00Z 02-10T09:00Z"
		if strings.Join(got, " ") != want {
			t.Errorf("Outlook series: %v, want %s", got, want)
		}
		// Seattle's DST starts on 8 March 2026: 09:00 PDT is 16:00Z.
		if got := f.starts(t, "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z", nil); strings.Join(got, " ") != "03-09T16:00Z" {
			t.Errorf("Pacific Standard Time: %v", got)
		}
		google, _ := st.GetCalendarByName(context.Background(), f.owner.ID, "google")
		obj, err := st.GetObjectByUID(context.Background(), google.ID, "7kukuqrfedlm2f9t0vo0c6p4c1@google.com")
		if err != nil || obj.Name != "7kukuqrfedlm2f9t0vo0c6p4c1@google.com.ics" || bytes.Count(obj.Data, []byte("BEGIN:VEVENT")) != 2 {
			t.Fatalf("Google series: %v %v", obj, err)
		}
	})
}

func TestImportUpdatesByUIDAndReportsErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		// A client already stored the UID under a name of its own.
		if _, err := f.s.PutObject(ctx, f.owner, f.cal, "client-name.ics", ics(weeklyBerlin), store.Conditions{}); err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(weeklyBerlin, "SUMMARY:Standup", "SUMMARY:Daily standup", 1)
		in := ics(changed +
			"BEGIN:VEVENT\nUID:bad-end\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nDTEND:20260104T1000\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:ok\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n" +
			"BEGIN:VEVENT\nUID:unterminated\nDTSTAMP:20260101T000000Z\n" +
			"BEGIN:VTODO\nUID:todo\nDTSTAMP:20260101T000000Z\nEND:VTODO\n")
		f.cal.Components = []string{"VEVENT"}
		rep := importBytes(t, f, f.cal, in)
		if rep.Updated != 1 || rep.Created != 1 || rep.Failed != 3 || len(rep.Errors) != 3 {
			t.Fatalf("report: %+v", rep)
		}
		byUID := map[string]ImportError{}
		for _, e := range rep.Errors {
			byUID[e.UID] = e
		}
		if e := byUID["bad-end"]; e.Precondition != PreValidData || !strings.Contains(e.Message, "DTEND") || e.Line != 27 {
			t.Errorf("bad-end: %+v", e)
		}
		if e := byUID["unterminated"]; !strings.Contains(e.Message, "no END:VEVENT") {
			t.Errorf("unterminated: %+v", e)
		}
		if e := byUID["todo"]; e.Precondition != PreSupportedComponent {
			t.Errorf("todo: %+v", e)
		}
		obj, err := st.GetObject(ctx, f.cal.ID, "client-name.ics")
		if err != nil || !bytes.Contains(obj.Data, []byte("Daily standup")) {
			t.Fatalf("the client's resource was not updated in place: %v", err)
		}
	})
}

func TestImportRefusedOnReadOnlyCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		sub := &store.Calendar{OwnerID: f.owner.ID, Name: "sub", Source: store.SourceICS, Components: []string{"VEVENT"}}
		if err := st.CreateSourceCalendar(ctx, sub, &store.Source{Kind: store.SourceICS, URL: "https://example.com/x.ics", RefreshEvery: time.Hour}); err != nil {
			t.Fatal(err)
		}
		data := ics(weeklyBerlin)
		if _, err := f.s.Import(ctx, f.owner, sub, bytes.NewReader(data), int64(len(data)), ImportOptions{}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("import into a subscription: %v", err)
		}
		if _, err := f.s.PutObject(ctx, f.owner, sub, "x.ics", data, store.Conditions{}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("PUT into a subscription: %v", err)
		}
		res, err := f.s.SyncSource(ctx, sub, []BatchItem{{Data: data}}, SyncOptions{Replace: true})
		if err != nil || res[0].Status != ItemCreated {
			t.Fatalf("sync: %+v, %v", res, err)
		}
		if err := f.s.DeleteObject(ctx, f.owner, sub, res[0].Name, store.Conditions{}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("DELETE in a subscription: %v", err)
		}
		if _, err := f.s.SyncSource(ctx, f.cal, nil, SyncOptions{}); err == nil {
			t.Error("SyncSource wrote to a calendar without a source")
		}
	})
}

// TestImportCorpus imports every calendar of the shared real-world corpus
// that parses, and again: no file stops the import, every object is
// either stored or reported, and the second time nothing is written.
func TestImportCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a few hundred files")
	}
	root := corpusRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "*", "*.ics"))
	st := storetest.SQLite(t)
	f := newFixture(t, st)
	f.cal.Components = []string{"VEVENT", "VTODO", "VJOURNAL"}
	stored := 0
	for _, file := range files {
		data, _ := os.ReadFile(file)
		rep, err := f.s.Import(context.Background(), f.owner, f.cal, bytes.NewReader(data), int64(len(data)), ImportOptions{})
		if err != nil {
			var oe *ObjectError
			if !errors.As(err, &oe) {
				t.Errorf("%s: %v", filepath.Base(file), err)
			}
			continue
		}
		if rep.Created+rep.Updated+rep.Unchanged+rep.Failed != rep.Total || rep.Failed != len(rep.Errors) {
			t.Errorf("%s: counts do not add up: %+v", filepath.Base(file), rep)
		}
		stored += rep.Created
		again, err := f.s.Import(context.Background(), f.owner, f.cal, bytes.NewReader(data), int64(len(data)), ImportOptions{})
		if err != nil || again.Created != 0 || again.Updated > rep.Updated {
			t.Errorf("%s imported again: %+v, %v (first: %+v)", filepath.Base(file), again, err, rep)
		}
	}
	if stored < 300 {
		t.Errorf("only %d objects stored from %d files", stored, len(files))
	}
}

func corpusRoot(t *testing.T) string {
	dir, _ := filepath.Abs(".")
	for {
		p := filepath.Join(dir, "shared", "testdata", "ics")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(dir) == dir {
			t.Skip("shared test data not found")
		}
		dir = filepath.Dir(dir)
	}
}
