package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/almanac/almanac/account"
	"github.com/almanac/almanac/mailer"
	"github.com/almanac/almanac/store"
)

var verifyLinkRE = regexp.MustCompile(`http://cal\.test/verify-email/([A-Za-z0-9_-]+)`)

// verificationToken reads the token of the newest verification mail.
func verificationToken(t *testing.T, st *store.Store) string {
	t.Helper()
	list, err := st.ListOutbox(context.Background(), store.OutboxPending, 100)
	if err != nil {
		t.Fatal(err)
	}
	token, newest := "", int64(0)
	for _, om := range list {
		var m mailer.Message
		if om.Kind != account.MailKind || om.ID < newest || json.Unmarshal(om.Payload, &m) != nil {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if got := verifyLinkRE.FindSubmatch(body); got != nil {
			token, newest = string(got[1]), om.ID
		}
	}
	if token == "" {
		t.Fatal("no verification mail")
	}
	return token
}

func TestEmailVerification(t *testing.T) {
	s := newTestServer(t)
	r := s.do(t, "POST", "/users/register", "", `{"name":"vera","email":"vera@example.com","password":"correct horse"}`)
	if r.status != 201 || r.body["email_verified"] != false {
		t.Fatalf("a registered address is verified: %d %s", r.status, r.raw)
	}
	token := s.do(t, "POST", "/users/login", "", `{"login":"vera","password":"correct horse"}`).body["token"].(string)
	if r := s.do(t, "POST", "/users/me/email-verification", token, ""); r.status != 429 {
		t.Fatalf("a second link at once: %d %s", r.status, r.raw)
	}
	link := verificationToken(t, s.st)
	// The page asks first: a mail scanner's GET confirms nothing.
	resp, err := http.Get(s.URL + "/verify-email/" + link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "vera@example.com") || !strings.Contains(string(page), `&#34;vera&#34;`) {
		t.Fatalf("page: %d %s", resp.StatusCode, page)
	}
	if r := s.do(t, "GET", "/users/me", token, ""); r.body["email_verified"] != false {
		t.Fatal("the page's GET verified the address")
	}
	if r := s.do(t, "POST", "/users/verify-email", "", `{"token":"nonsense"}`); r.status != 422 {
		t.Fatalf("bad token: %d %s", r.status, r.raw)
	}
	resp, err = http.PostForm(s.URL+"/verify-email/"+link, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := s.do(t, "GET", "/users/me", token, ""); resp.StatusCode != 200 || r.body["email_verified"] != true {
		t.Fatalf("after confirming: %d %s", resp.StatusCode, r.raw)
	}
	// A new address waits; the verified one stays.
	r = s.do(t, "PATCH", "/users/me", token, `{"email":"vera@example.org"}`)
	if r.status != 200 || r.body["email"] != "vera@example.com" || r.body["pending_email"] != "vera@example.org" || r.body["email_verified"] != true {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	r = s.do(t, "POST", "/users/verify-email", "", `{"token":"`+verificationToken(t, s.st)+`"}`)
	if r.status != 200 || r.body["email"] != "vera@example.org" {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/users/me/email-verification", token, ""); r.status != 422 {
		t.Fatalf("a link for a verified address: %d %s", r.status, r.raw)
	}
}

// The JSON API answers free/busy of users by the same rule as the CalDAV
// outbox: colleagues see each other's busy time unless they opted out,
// and an opted-out user is not-found, as an unknown one is.
func TestFreeBusyOfUsers(t *testing.T) {
	f := newEventFixture(t)
	f.create(t, f.event("Secret", "2026-03-03T09:00:00", "2026-03-03T10:00:00", ""))
	bobTok, _ := f.register(t, "bob")
	body := `{"users":["` + f.user["id"].(string) + `","00000000-0000-4000-8000-000000000000"],"start_time":"2026-03-01T00:00:00Z","end_time":"2026-03-08T00:00:00Z"}`
	r := f.do(t, "POST", "/freebusy", bobTok, body)
	alice := r.body["users"].(map[string]any)[f.user["id"].(string)].(map[string]any)
	if r.status != 200 || alice["busy"] == nil || strings.Contains(r.raw, "Secret") {
		t.Fatalf("a colleague's busy time: %d %s", r.status, r.raw)
	}
	if r := f.do(t, "PATCH", "/users/me", f.tok, `{"free_busy_visible":false}`); r.status != 200 || r.body["free_busy_visible"] != false {
		t.Fatalf("opt out: %d %s", r.status, r.raw)
	}
	r = f.do(t, "POST", "/freebusy", bobTok, body)
	users := r.body["users"].(map[string]any)
	hidden, _ := json.Marshal(users[f.user["id"].(string)])
	unknown, _ := json.Marshal(users["00000000-0000-4000-8000-000000000000"])
	if string(hidden) != string(unknown) || !strings.Contains(string(hidden), "not-found") {
		t.Fatalf("opted out %s, unknown %s", hidden, unknown)
	}
}
