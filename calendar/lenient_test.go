package calendar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// TestIndexLenient writes each object of testdata/lenient, which RFC 5545
// or the old limits refused, and checks the instances the index holds for
// it: the canonical shape of icalendar's normalisation, a VTODO recurring
// from its DUE, a VFREEBUSY's busy periods, none for a VAVAILABILITY.
func TestIndexLenient(t *testing.T) {
	cases := []struct {
		file string
		want string // "start/end status" of each instance in January 2026, UTC
	}{
		{"secondly-count.ics", "01-20T23:59:58/01-20T23:59:58 |01-20T23:59:59/01-20T23:59:59 |01-21T00:00:00/01-21T00:00:00 "},
		{"todo-from-due.ics", "01-15T17:00:00/01-15T17:00:00 |01-22T17:00:00/01-22T17:00:00 |01-29T17:00:00/01-29T17:00:00 "},
		// The calendar's zone is New York: an all-day day starts at 05:00Z.
		{"end-type.ics", "01-20T05:00:00/01-22T05:00:00 "},
		{"end-before-start.ics", "01-20T09:00:00/01-20T09:00:00 "},
		{"failed.ics", "01-20T09:00:00/01-21T09:00:00 FAILED"},
		{"journal.ics", "01-19T05:00:00/01-20T05:00:00 |01-26T05:00:00/01-27T05:00:00 "},
		{"freebusy.ics", "01-20T09:00:00/01-20T10:00:00 BUSY|01-21T12:00:00/01-21T14:00:00 BUSY-UNAVAILABLE"},
		{"availability.ics", ""},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		// Made in the store: which types a collection may be made for is
		// the service's decision, not this test's.
		cal := &store.Calendar{OwnerID: f.owner.ID, Name: "all", TimeZone: "America/New_York",
			Components: []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"}}
		if err := st.CreateCalendar(ctx, cal); err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range cases {
			data, err := os.ReadFile(filepath.Join("testdata", "lenient", c.file))
			if err != nil {
				t.Fatal(err)
			}
			w, err := f.s.PutObject(ctx, f.owner, cal, c.file, data, store.Conditions{})
			if err != nil {
				t.Errorf("%s: %v", c.file, err)
				continue
			}
			list, err := f.s.Instances(ctx, f.owner, cal, from, to, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, oc := range list {
				if oc.ObjectID == w.ObjectID {
					got = append(got, oc.Start.UTC().Format("01-02T15:04:05")+"/"+oc.End.UTC().Format("01-02T15:04:05")+" "+oc.Status)
				}
			}
			if g := strings.Join(got, "|"); g != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.file, g, c.want)
			}
		}
	})
}

// TestControlCharacters stores an object whose SUMMARY holds a bell, as
// Outlook writes them: it is kept without it, under an ETag that is not the
// sent data's, so the client knows to fetch what was stored.
func TestControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		sent := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Test//EN\r\nBEGIN:VEVENT\r\n" +
			"UID:bell@example.com\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260120T100000Z\r\n" +
			"SUMMARY:ring ->\a\x0b<-\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		res, err := f.s.PutObject(ctx, f.owner, f.cal, "bell.ics", sent, store.Conditions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.ETag == store.ETagOf(sent) {
			t.Error("the ETag is the sent data's, though the server changed it")
		}
		obj, err := f.s.GetObject(ctx, f.owner, f.cal, "bell.ics")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(obj.Data), "SUMMARY:ring -><-\r\n") {
			t.Errorf("stored data:\n%s", obj.Data)
		}
	})
}
