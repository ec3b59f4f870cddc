package jsonapi

import "testing"

// A session alone does not change the password: the current one must come
// with the new one (an administrator's almanac user passwd needs neither).
func TestPasswordChangeNeedsCurrentPassword(t *testing.T) {
	s := newTestServer(t)
	token, _ := s.register(t, "pat")
	if r := s.do(t, "PATCH", "/users/me", token, `{"display_name":"Pat\r\nBcc: x@example.com"}`); r.status != 422 || !mentions(r, "display_name") {
		t.Fatalf("display name with a line break: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PATCH", "/users/me", token, `{"password":"new password!"}`); r.status != 422 || !mentions(r, "current_password") {
		t.Fatalf("without the current password: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PATCH", "/users/me", token, `{"password":"new password!","current_password":"guess"}`); r.status != 422 || !mentions(r, "current_password") {
		t.Fatalf("with a wrong one: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "PATCH", "/users/me", token, `{"password":"new password!","current_password":"correct horse"}`); r.status != 200 {
		t.Fatalf("with the current password: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "POST", "/users/login", "", `{"login":"pat","password":"new password!"}`); r.status != 200 {
		t.Fatalf("new password: %d", r.status)
	}
}

// A new password ends the user's other sessions; the one that set it, having
// just given the password, goes on (and can change it back).
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	s := newTestServer(t)
	token, _ := s.register(t, "pat")
	r := s.do(t, "POST", "/users/login", "", `{"login":"pat","password":"correct horse"}`)
	if r.status != 200 {
		t.Fatalf("second login: %d", r.status)
	}
	other := r.body["token"].(string)
	if r := s.do(t, "PATCH", "/users/me", token, `{"password":"new password!","current_password":"correct horse"}`); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	if r := s.do(t, "GET", "/users/me", other, ""); r.status != 401 {
		t.Fatalf("the other session after the change: %d", r.status)
	}
	if r := s.do(t, "PATCH", "/users/me", token, `{"password":"correct horse","current_password":"new password!"}`); r.status != 200 {
		t.Fatalf("changing it back from the same session: %d %s", r.status, r.raw)
	}
}
