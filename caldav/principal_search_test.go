package caldav_test

import (
	"context"
	"github.com/almanac/almanac/account"
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

// An address nobody has proven to own is not the principal's: it is not in
// its calendar-user-address-set, and no search finds anyone by it.
func TestUnverifiedAddressNotAdvertised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := newServer(t, st, calendar.Limits{})
		// Signed up, link not followed yet: what registration leaves.
		acc := account.New(st, account.Options{AllowRegistration: true})
		if _, err := acc.Register(context.Background(), account.NewUser{Name: "carol", Email: "carol@example.com",
			Password: password("carol"), DisplayName: "Carol"}); err != nil {
			t.Fatal(err)
		}
		r := srv.do(t, "carol", "PROPFIND", "/dav/principals/carol/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-user-address-set/></D:prop></D:propfind>`, "Depth", "0")
		if r.status != 207 || strings.Contains(r.body, "mailto:") || !strings.Contains(r.body, "/dav/principals/carol/") {
			t.Fatalf("carol's addresses: %d\n%s", r.status, r.body)
		}
		r = srv.do(t, "carol", "REPORT", "/dav/principals/", `<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>carol@</D:match></D:property-search>
  <D:prop><D:displayname/></D:prop></D:principal-property-search>`, "Depth", "0")
		if r.status != 207 || strings.Contains(r.body, "/principals/carol/") {
			t.Fatalf("a search by the unverified address: %d\n%s", r.status, r.body)
		}
	})
}
