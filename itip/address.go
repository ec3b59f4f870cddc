package itip

import (
	"net/mail"
	"strings"
)

// Address normalises a calendar user address for comparison: a mailto:
// URI has its scheme and address lower-cased (RFC 6638 §2.4.1: mailto:
// addresses are compared case-insensitively); other URIs are trimmed.
func Address(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		return "mailto:" + strings.ToLower(strings.TrimSpace(v[7:]))
	}
	return v
}

// MailtoOf returns the mailto: address of an e-mail address.
func MailtoOf(email string) string { return Address("mailto:" + email) }

// Email returns the e-mail address of a mailto: calendar user address, or
// "" for any other kind of address.
func Email(addr string) string {
	addr = Address(addr)
	if !strings.HasPrefix(addr, "mailto:") {
		return ""
	}
	e := strings.TrimPrefix(addr, "mailto:")
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
		return ""
	}
	return e
}

// SameAddress reports whether two calendar user addresses name the same
// calendar user.
func SameAddress(a, b string) bool { return a != "" && Address(a) == Address(b) }
