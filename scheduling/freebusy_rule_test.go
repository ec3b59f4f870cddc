package scheduling

import (
	"context"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// The outbox answers free/busy by the one rule: the server's users as a
// directory unless the person opted out, calendars shared with the asker
// whatever the directory says, and nothing else — an opted-out user and
// an unknown address get the same answer.
func TestFreeBusyRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		alice, bob := e.users["alice"], e.users["bob"]
		// Bob's own event in a calendar he shares with nobody.
		bcal := &store.Calendar{Name: "private", DisplayName: "Private"}
		if err := e.cals.CreateCalendar(ctx, bob, bcal); err != nil {
			t.Fatal(err)
		}
		e.put(bob, bcal, "p.ics", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:p-1\r\nDTSTAMP:20260101T000000Z\r\n"+
			"DTSTART:20260105T140000Z\r\nDTEND:20260105T150000Z\r\nSUMMARY:Secret\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), store.Conditions{})
		ask := func(asker *store.User) (bobStatus, bobData, unknownStatus string) {
			t.Helper()
			req := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fbq\r\nDTSTAMP:20260101T000000Z\r\n" +
				"DTSTART:20260105T000000Z\r\nDTEND:20260106T000000Z\r\nORGANIZER:mailto:" + asker.Email + "\r\n" +
				"ATTENDEE:mailto:bob@almanac.test\r\nATTENDEE:mailto:nobody@almanac.test\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
			res, err := e.sched.FreeBusy(ctx, e.cals, asker, []byte(req))
			if err != nil || len(res) != 2 {
				t.Fatalf("%v %v", res, err)
			}
			return res[0].Status, string(res[0].Data), res[1].Status
		}
		status, data, unknown := ask(alice)
		if status != "2.0;Success" || !strings.Contains(data, "20260105T140000Z/20260105T150000Z") || strings.Contains(data, "Secret") {
			t.Fatalf("directory: %s %s", status, data)
		}
		// Bob opts out: Alice learns nothing, not even that he exists.
		bob.FreeBusyHidden = true
		if err := st.UpdateUser(ctx, bob); err != nil {
			t.Fatal(err)
		}
		if status, data, _ = ask(alice); status != unknown || data != "" {
			t.Fatalf("opted out: %s %s, unknown: %s", status, data, unknown)
		}
		if status, _, _ = ask(bob); status != "2.0;Success" {
			t.Fatalf("his own: %s", status)
		}
		// A share is consent: Alice sees that calendar's busy time only.
		shared := &store.Calendar{Name: "team", DisplayName: "Team"}
		if err := e.cals.CreateCalendar(ctx, bob, shared); err != nil {
			t.Fatal(err)
		}
		e.put(bob, shared, "t.ics", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:t-1\r\nDTSTAMP:20260101T000000Z\r\n"+
			"DTSTART:20260105T160000Z\r\nDTEND:20260105T170000Z\r\nSUMMARY:Team\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), store.Conditions{})
		if err := e.cals.Share(ctx, bob, shared, alice, calendar.RoleFreeBusy); err != nil {
			t.Fatal(err)
		}
		status, data, _ = ask(alice)
		if status != "2.0;Success" || !strings.Contains(data, "20260105T160000Z/20260105T170000Z") || strings.Contains(data, "20260105T140000Z") {
			t.Fatalf("shared only: %s %s", status, data)
		}
	})
}
