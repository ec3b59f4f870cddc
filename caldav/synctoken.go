package caldav

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/almanac/almanac/store"
)

// Sync tokens (RFC 6578 §3.2: a URI, opaque to clients) are data: URIs
// (RFC 2397), as CalendarServer's are, naming what they synchronise:
//
//	data:,calendar/{calendar UUID}/{revision}
//	data:,inbox/{user UUID}/{revision}
//
// A token is never valid for another collection, and is also the
// collection's CTag. A calendar home has a CTag (data:,home/{digest}) but
// no sync report.
const (
	tokenScheme = "data:,"
	// legacyTokenBase began calendar tokens handed out before; clients
	// that kept one may still send it.
	legacyTokenBase = "https://almanac.invalid/sync/"
)

func calendarToken(cal *store.Calendar, rev int64) string {
	return tokenScheme + "calendar/" + cal.UUID + "/" + strconv.FormatInt(rev, 10)
}

func inboxToken(u *store.User, rev int64) string {
	return tokenScheme + "inbox/" + u.UUID + "/" + strconv.FormatInt(rev, 10)
}

// parseCalendarToken returns the revision a token of cal names. An empty
// token asks for a full sync (RFC 6578 §3.3; DAVx5 sends an empty
// element).
func parseCalendarToken(cal *store.Calendar, tok string) (int64, error) {
	tok = strings.TrimSpace(tok)
	if rest, ok := strings.CutPrefix(tok, legacyTokenBase); ok {
		tok = tokenScheme + "calendar/" + rest
	}
	return parseRevisionToken(tok, "calendar/"+cal.UUID+"/")
}

func parseInboxToken(u *store.User, tok string) (int64, error) {
	return parseRevisionToken(strings.TrimSpace(tok), "inbox/"+u.UUID+"/")
}

func parseRevisionToken(tok, prefix string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	rest, ok := strings.CutPrefix(tok, tokenScheme+prefix)
	if !ok {
		return 0, store.ErrInvalidSyncToken
	}
	rev, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || rev < 0 {
		return 0, store.ErrInvalidSyncToken
	}
	return rev, nil
}

// homeEntry is one calendar of a home as the home's CTag sees it.
type homeEntry struct {
	uuid string
	rev  int64
	name string // its name in the home (a share's, for a calendar shared with the caller)
}

// homeToken is a digest of the state of every calendar in a home: the
// home's CTag, which changes whenever one of them does, or is added,
// removed or renamed.
func homeToken(entries []homeEntry) string {
	slices.SortFunc(entries, func(a, b homeEntry) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s %d %q\n", e.uuid, e.rev, e.name)
	}
	return tokenScheme + "home/" + hex.EncodeToString(h.Sum(nil)[:16])
}
