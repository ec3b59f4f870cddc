package caldav_test

import (
	"context"
	"strings"
	"testing"

	"github.com/almanac/almanac/calendar"
	"github.com/almanac/almanac/store"
	"github.com/almanac/almanac/store/storetest"
)

// A principal search finds the caller and the people they share a
// calendar with, either way, and nobody else (RFC 3744 §9.4).
func TestPrincipalSearchScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		ctx := context.Background()
		search := func(user string) string {
			t.Helper()
			r := srv.do(t, user, "REPORT", "/dav/principals/", `<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>example.com</D:match></D:property-search>
  <D:prop><D:displayname/></D:prop></D:principal-property-search>`, "Depth", "0")
			if r.status != 207 {
				t.Fatalf("search as %s: %d %s", user, r.status, r.body)
			}
			return r.body
		}
		if got := search("alice"); !strings.Contains(got, "/principals/alice/") || strings.Contains(got, "/principals/bob/") {
			t.Fatalf("before sharing, alice finds:\n%s", got)
		}
		alice, _ := st.GetUserByName(ctx, "alice")
		bob, _ := st.GetUserByName(ctx, "bob")
		cal, err := st.GetCalendarByName(ctx, alice.ID, "calendar")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.cals.Share(ctx, alice, cal, bob, calendar.RoleReader); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"alice", "bob"} {
			if got := search(u); !strings.Contains(got, "/principals/alice/") || !strings.Contains(got, "/principals/bob/") {
				t.Fatalf("after sharing, %s finds:\n%s", u, got)
			}
		}
	})
}
