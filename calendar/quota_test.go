package calendar

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// sized is an event of exactly n bytes.
func sized(t *testing.T, uid string, n int) []byte {
	t.Helper()
	head := ics("BEGIN:VEVENT\nUID:" + uid + "\nDTSTAMP:20260101T000000Z\nDTSTART:20260105T100000Z\nSUMMARY:\nEND:VEVENT\n")
	pad := n - len(head)
	if pad < 0 {
		t.Fatalf("%d bytes is too small for an event", n)
	}
	return []byte(strings.Replace(string(head), "SUMMARY:", "SUMMARY:"+strings.Repeat("x", pad), 1))
}

func isQuota(err error) bool {
	var qe *QuotaError
	return errors.As(err, &qe)
}

// TestQuota checks RFC 4331 quotas: what the owner's calendars hold
// counts, whoever writes it; a write that does not grow the data passes
// over quota; moves into another user's calendar count against that user.
func TestQuota(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.s.lim.QuotaBytes = 3000
		ctx := context.Background()
		put := func(u *store.User, cal *store.Calendar, name string, data []byte) error {
			_, err := f.s.PutObject(ctx, u, cal, name, data, store.Conditions{})
			return err
		}
		other := &store.Calendar{Name: "other", DisplayName: "Other"}
		if err := f.s.CreateCalendar(ctx, f.owner, other); err != nil {
			t.Fatal(err)
		}
		writer := &store.User{Name: "writer", Email: "writer@example.com"}
		if err := st.CreateUser(ctx, writer); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Share(ctx, f.owner, f.cal, writer, RoleWriter); err != nil {
			t.Fatal(err)
		}
		mine := &store.Calendar{Name: "mine", DisplayName: "Mine"}
		if err := f.s.CreateCalendar(ctx, writer, mine); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name      string
			u         *store.User
			cal       *store.Calendar
			res       string
			data      []byte
			overQuota bool
		}{
			{"first", f.owner, f.cal, "a.ics", sized(t, "a", 1000), false},
			{"in another calendar", f.owner, other, "b.ics", sized(t, "b", 1000), false},
			{"by a sharee, filling the quota", writer, f.cal, "c.ics", sized(t, "c", 1000), false},
			{"one byte more", f.owner, f.cal, "d.ics", sized(t, "d", 500), true},
			{"an edit that grows", f.owner, f.cal, "a.ics", sized(t, "a", 1001), true},
			{"an edit that keeps the size", f.owner, f.cal, "a.ics", sized(t, "a", 1000), false},
			{"an edit that shrinks", f.owner, f.cal, "a.ics", sized(t, "a", 600), false},
			{"into the room it left", f.owner, other, "d.ics", sized(t, "d", 400), false},
			{"the sharee's own calendar", writer, mine, "m.ics", sized(t, "m", 2500), false},
		}
		for _, s := range steps {
			err := put(s.u, s.cal, s.res, s.data)
			if s.overQuota != isQuota(err) || !s.overQuota && err != nil {
				t.Fatalf("%s: %v, over quota %v", s.name, err, s.overQuota)
			}
		}
		if used, _ := st.Usage(ctx, f.owner.ID, 0); used != 3000 {
			t.Fatalf("usage %d after the steps, want 3000", used)
		}
		// The writer's event in their own calendar would take the owner
		// past the quota; within one owner's calendars a move changes
		// nothing.
		if _, err := f.s.MoveObject(ctx, writer, mine, "m.ics", f.cal, "m.ics", store.Conditions{}, false); !isQuota(err) {
			t.Fatalf("move into the owner's calendar: %v", err)
		}
		if _, err := f.s.MoveObject(ctx, f.owner, f.cal, "a.ics", other, "a.ics", store.Conditions{}, false); err != nil {
			t.Fatalf("move between the owner's calendars: %v", err)
		}
		// A lowered quota still lets the owner shrink and delete.
		f.s.lim.QuotaBytes = 1000
		if err := put(f.owner, other, "a.ics", sized(t, "a", 500)); err != nil {
			t.Fatalf("shrink over quota: %v", err)
		}
		if err := f.s.DeleteObject(ctx, f.owner, other, "b.ics", store.Conditions{}); err != nil {
			t.Fatalf("delete over quota: %v", err)
		}
		f.s.lim.QuotaBytes = 0
		if err := put(f.owner, f.cal, "big.ics", sized(t, "big", 100_000)); err != nil {
			t.Fatalf("no quota: %v", err)
		}
	})
}

// TestQuotaImport: an import stores what fits and reports the rest with
// RFC 4331's precondition; re-importing unchanged objects costs nothing.
func TestQuotaImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.s.lim.QuotaBytes = 2500
		var file []string
		for _, uid := range []string{"a", "b", "c"} {
			data := string(sized(t, uid, 1000))
			file = append(file, data[strings.Index(data, "BEGIN:VEVENT"):strings.Index(data, "END:VCALENDAR")])
		}
		in := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(file, "") + "END:VCALENDAR\r\n")
		rep := importBytes(t, f, f.cal, in)
		if rep.Created != 2 || rep.Failed != 1 || rep.Errors[0].UID != "c" || rep.Errors[0].Precondition != "quota-not-exceeded" {
			t.Fatalf("report: %+v", rep)
		}
		if rep = importBytes(t, f, f.cal, in); rep.Unchanged != 2 || rep.Failed != 1 {
			t.Fatalf("again: %+v", rep)
		}
	})
}
