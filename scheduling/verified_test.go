package scheduling

import (
	"context"
	"strings"
	"testing"

	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// An account whose address is not verified (someone registered a
// stranger's address) gets no invitations for it, cannot answer them, and
// sends nothing in its name; the address's owner gets the mail.
func TestUnverifiedAddressIsNotTheAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		mallory := &store.User{Name: "mallory", Email: "victim@example.net", EmailUnverified: true}
		if err := st.CreateUser(ctx, mallory); err != nil {
			t.Fatal(err)
		}
		e.users["mallory"] = mallory
		mcal := &store.Calendar{Name: "calendar", DisplayName: "M"}
		if err := e.cals.CreateCalendar(ctx, mallory, mcal); err != nil {
			t.Fatal(err)
		}
		data := event("hijack-1", 0, "", "victim@example.net")
		e.put(e.users["alice"], e.work, "h.ics", data, store.Conditions{IfNoneMatch: true})
		e.eventually("the victim's mail", func() bool { return len(e.mailTo("victim@example.net")) == 1 })
		if o, _ := e.copyOf("mallory", "hijack-1"); o != nil {
			t.Fatal("the invitation was delivered to the unverified account")
		}
		queued := func() int {
			list, err := st.ListOutbox(ctx, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		before := queued()
		// Mallory stores the event with the victim's answer: no REPLY.
		answer := strings.Replace(string(data), "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:victim", "PARTSTAT=DECLINED:mailto:victim", 1)
		e.put(mallory, mcal, "h.ics", []byte(answer), store.Conditions{})
		// Nor does she organise as the victim.
		org := strings.ReplaceAll(string(event("spoof-1", 0, "", "bob@almanac.test")), "mailto:alice@almanac.test", "mailto:victim@example.net")
		e.put(mallory, mcal, "s.ics", []byte(org), store.Conditions{})
		if n := queued(); n != before {
			t.Fatalf("writes of an unverified account queued %d messages", n-before)
		}
		if ps := e.partstat("alice", "hijack-1", "", "victim@example.net"); ps != itip.NeedsAction {
			t.Fatalf("the organizer's copy says %s", ps)
		}
		if inv, err := e.sched.Invitations(e.cals).Mine(ctx, mallory, ""); err != nil || len(inv) != 0 {
			t.Fatalf("the unverified account lists invitations: %v %v", inv, err)
		}
	})
}
