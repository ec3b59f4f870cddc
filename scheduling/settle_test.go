package scheduling

import (
	"context"
	"testing"
	"time"

	"github.com/almanac/almanac/itip"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// A write that invites or answers users of this server returns once their
// deliveries were made, within SettleWait: the client that reads next
// finds the attendee's copy and inbox item, and the organizer's copy
// with the answer.
func TestWriteWaitsForLocalDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, func(o *Options) { o.SettleWait = 5 * time.Second })
		ctx := context.Background()
		e.put(e.users["alice"], e.work, "m.ics", event("settle-1", 0, "", "bob@almanac.test", "dave@almanac.test"), store.Conditions{IfNoneMatch: true})
		for _, who := range []string{"bob", "dave"} {
			if o, _ := e.copyOf(who, "settle-1"); o == nil {
				t.Fatalf("%s's copy is not there when the organizer's write returns", who)
			}
			if in, _ := st.ListInbox(ctx, e.users[who].ID); len(in) != 1 {
				t.Errorf("%s's inbox has %d items when the organizer's write returns", who, len(in))
			}
		}
		if err := e.rewrite("bob", "settle-1", answer("mailto:bob@almanac.test", itip.Accepted)); err != nil {
			t.Fatal(err)
		}
		if got := e.partstat("alice", "settle-1", "", "bob"); got != itip.Accepted {
			t.Errorf("alice's copy shows bob %s when his write returns", got)
		}
	})
}
