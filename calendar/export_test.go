package calendar

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

func importFixtures(t *testing.T, f *fixture, cal *store.Calendar, files ...string) {
	t.Helper()
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join("testdata", "import", file))
		if err != nil {
			t.Fatal(err)
		}
		if rep := importBytes(t, f, cal, data); rep.Failed != 0 {
			t.Fatalf("%s: %+v", file, rep)
		}
	}
}

func export(t *testing.T, f *fixture, cal *store.Calendar) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.s.Export(context.Background(), f.owner, cal, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestExportRoundTrip exports a calendar and imports the export into
// another: every object comes back with the same components, and every
// VTIMEZONE is written once, before its use.
func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		f.cal.Components = []string{"VEVENT", "VTODO"}
		importFixtures(t, f, f.cal, "outlook.ics", "google.ics", "thunderbird.ics")
		out := export(t, f, f.cal)
		cals, err := icalendar.ParseAll(out)
		if err != nil || len(cals) != 1 {
			t.Fatalf("export does not parse: %v\n%s", err, out)
		}
		if err := cals[0].Validate(icalendar.Options{Strict: true}); err != nil {
			t.Errorf("export is not strictly valid: %v", err)
		}
		seen := map[string]int{}
		for _, c := range cals[0].Children {
			if c.Name == "VTIMEZONE" {
				seen[c.Props.Get("TZID").Value]++
			}
		}
		if len(seen) != 4 || seen["W. Europe Standard Time"] != 1 || seen["Europe/Berlin"] != 1 {
			t.Errorf("VTIMEZONEs: %v", seen)
		}
		if first, use := bytes.Index(out, []byte("BEGIN:VEVENT")), bytes.LastIndex(out, []byte("END:VTIMEZONE")); use > first {
			t.Error("a VTIMEZONE follows the components")
		}
		copyCal := &store.Calendar{Name: "copy", Components: []string{"VEVENT", "VTODO"}}
		if err := f.s.CreateCalendar(ctx, f.owner, copyCal); err != nil {
			t.Fatal(err)
		}
		rep := importBytes(t, f, copyCal, out)
		if rep.Created != 8 || rep.Failed != 0 {
			t.Fatalf("re-import: %+v", rep)
		}
		orig, _ := st.ListObjects(ctx, f.cal.ID, true)
		for _, o := range orig {
			back, err := st.GetObjectByUID(ctx, copyCal.ID, o.UID)
			if err != nil {
				t.Fatalf("%s lost: %v", o.UID, err)
			}
			if a, b := components(t, o.Data), components(t, back.Data); !bytes.Equal(a, b) {
				t.Errorf("%s changed in the round trip:\n%s\n---\n%s", o.UID, a, b)
			}
		}
	})
}

func components(t *testing.T, data []byte) []byte {
	sp, err := icalendar.SplitBytes(data, icalendar.SplitLimits{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sp.ComponentData(sp.Resources[0])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportPages exports more objects than one page holds.
func TestExportPages(t *testing.T) {
	st := storetest.SQLite(t)
	f := newFixture(t, st)
	var items []BatchItem
	for i := range 1234 {
		items = append(items, BatchItem{Data: ics(fmt.Sprintf("BEGIN:VEVENT\nUID:e%d\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nEND:VEVENT\n", i))})
	}
	if _, err := f.s.PutObjects(context.Background(), f.owner, f.cal, items, OriginImport); err != nil {
		t.Fatal(err)
	}
	out := export(t, f, f.cal)
	if n := bytes.Count(out, []byte("BEGIN:VEVENT\r\n")); n != 1234 {
		t.Errorf("%d events exported", n)
	}
}

func TestPublishedLevels(t *testing.T) {
	st := storetest.SQLite(t)
	f := newFixture(t, st)
	importFixtures(t, f, f.cal, "outlook.ics")
	private := ics("BEGIN:VEVENT\nUID:secret\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nCLASS:PRIVATE\nSUMMARY:Doctor\nLOCATION:Clinic\nEND:VEVENT\n")
	if _, err := f.s.PutObject(context.Background(), f.owner, f.cal, "secret.ics", private, store.Conditions{}); err != nil {
		t.Fatal(err)
	}
	publish := func(level Level) string {
		var b bytes.Buffer
		if err := f.s.ExportPublished(context.Background(), f.cal, level, ExportOptions{Refresh: 3600e9}, &b); err != nil {
			t.Fatal(err)
		}
		if _, err := icalendar.ParseAll(b.Bytes()); err != nil {
			t.Fatalf("%s: %v", level, err)
		}
		return b.String()
	}
	busy := publish(LevelBusy)
	for _, leak := range []string{"Berlin sync", "Room 4.12", "Doctor", "Clinic", "VALARM", "040000008200E0", "Weekly sync"} {
		if strings.Contains(busy, leak) {
			t.Errorf("busy level shows %q", leak)
		}
	}
	for _, want := range []string{"METHOD:PUBLISH", "SUMMARY:Busy", "SUMMARY:Free", "RECURRENCE-ID;TZID=W. Europe Standard Time",
		"REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY"} {
		if !strings.Contains(busy, want) {
			t.Errorf("busy level lacks %q", want)
		}
	}
	if sp, _ := icalendar.SplitBytes([]byte(busy), icalendar.SplitLimits{}); len(sp.Resources) != 4 {
		t.Errorf("busy level: %d resources; the override must keep its master's (hashed) UID", len(sp.Resources))
	}
	titles := publish(LevelTitles)
	if !strings.Contains(titles, "SUMMARY;LANGUAGE=en-US:Berlin sync") || !strings.Contains(titles, "Room 4.12") ||
		strings.Contains(titles, "Weekly sync") || strings.Contains(titles, "Doctor") {
		t.Errorf("titles level:\n%s", titles)
	}
	full := publish(LevelFull)
	if !strings.Contains(full, "Weekly sync") || strings.Contains(full, "VALARM") || strings.Contains(full, "Doctor") {
		t.Errorf("full level:\n%s", full)
	}
}
