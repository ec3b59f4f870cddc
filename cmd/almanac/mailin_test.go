package main

import "testing"

func TestHeloName(t *testing.T) {
	for _, tc := range []struct {
		public, from, listen, want string
	}{
		{"https://cal.example.com", "calendar@example.com", "0.0.0.0:8080", "cal.example.com"},
		{"https://cal.example.com:8443/", "", "127.0.0.1:8080", "cal.example.com"},
		{"http://192.0.2.7:8080", "calendar@Example.com", "127.0.0.1:8080", "example.com"},
		{"", "calendar@example.com", "127.0.0.1:8080", "example.com"},
		{"", "", "127.0.0.1:8080", "[127.0.0.1]"},
		{"", "", "[::1]:8080", "[IPv6:::1]"},
		{"", "", "cal.internal:8080", "cal.internal"},
		{"", "", ":8080", "localhost"},
	} {
		c := serveConfig{MailFrom: tc.from, Listen: tc.listen}
		c.Mail.PublicURL = tc.public
		if got := c.heloName(); got != tc.want {
			t.Errorf("public %q, from %q, listen %q: %q, want %q", tc.public, tc.from, tc.listen, got, tc.want)
		}
	}
}
