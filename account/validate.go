package account

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/almanac/almanac/timezone"
)

// FieldError is invalid input in one named field.
type FieldError struct {
	Field    string
	Message  string
	Conflict bool // the value is valid but already taken
}

func (e *FieldError) Error() string { return e.Field + " " + e.Message }

// NormalizeName lower-cases a login name and checks it: 1 to 64 of a-z,
// 0-9, '.', '_' and '-', starting with a letter or digit. Names appear in
// principal URLs, so they are kept to characters that need no escaping.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	bad := &FieldError{Field: "name", Message: "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"}
	if n == "" || len(n) > 64 {
		return "", bad
	}
	for i, r := range n {
		alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", r)) {
			return "", bad
		}
	}
	return n, nil
}

// NormalizeEmail checks that addr is a bare address (no display name) and
// lower-cases it: calendar user addresses compare case-insensitively.
func NormalizeEmail(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" || len(addr) > 254 || !strings.Contains(addr, "@") {
		return "", &FieldError{Field: "email", Message: "must be a plain e-mail address such as alice@example.com"}
	}
	return strings.ToLower(addr), nil
}

// checkDisplayName trims a display name and checks it: at most 200 bytes
// and no control characters. The name goes into mail header fields and
// iCalendar CN parameters, where a line break ends the field (RFC 5322
// §2.2, RFC 5545 §3.1).
func checkDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return "", &FieldError{Field: "display_name", Message: "must be at most 200 bytes"}
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", &FieldError{Field: "display_name", Message: "must not contain line breaks or other control characters"}
	}
	return name, nil
}

// checkTimeZone accepts a time zone name ("" means UTC) and returns its
// IANA name: Windows names such as "W. Europe Standard Time" are accepted
// and stored as the IANA zone they stand for.
func checkTimeZone(tz string) (string, error) {
	if strings.TrimSpace(tz) == "" {
		return "UTC", nil
	}
	loc, ok := timezone.Lookup(tz)
	if !ok {
		return "", &FieldError{Field: "time_zone", Message: "must be an IANA time zone name such as Europe/Berlin"}
	}
	return loc.String(), nil
}

// CheckTimeZone validates a profile time zone for callers outside the
// package.
func CheckTimeZone(tz string) (string, error) { return checkTimeZone(tz) }

func checkPasswordRules(p string) error {
	if n := utf8.RuneCountInString(p); n < 8 || len(p) > 1024 {
		return &FieldError{Field: "password", Message: "must be at least 8 characters (and at most 1024 bytes)"}
	}
	return nil
}
