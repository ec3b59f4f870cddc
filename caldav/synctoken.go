package caldav

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
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
//	data:,home/{base64url of the home's calendars: UUID, revision, name}
//
// A token is never valid for another collection. The calendar's token is
// also its CTag.
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

// homeEntry is one calendar of a home as a home token remembers it.
type homeEntry struct {
	uuid string
	rev  int64
	name string // its name in the home (a share's, for a calendar shared with the caller)
}

// homeToken packs the state of every calendar in a home: a sync of the
// home compares each with what the calendar is now.
func homeToken(entries []homeEntry) string {
	slices.SortFunc(entries, func(a, b homeEntry) int { return strings.Compare(a.name, b.name) })
	var b []byte
	for _, e := range entries {
		id, _ := hex.DecodeString(strings.ReplaceAll(e.uuid, "-", ""))
		b = append(b, id...)
		b = binary.AppendUvarint(b, uint64(e.rev))
		b = binary.AppendUvarint(b, uint64(len(e.name)))
		b = append(b, e.name...)
	}
	return tokenScheme + "home/" + base64.RawURLEncoding.EncodeToString(b)
}

var errBadToken = errors.New("malformed home token")

// parseHomeToken reads a home token; an empty one asks for a full sync.
func parseHomeToken(tok string) ([]homeEntry, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(tok, tokenScheme+"home/")
	if !ok {
		return nil, store.ErrInvalidSyncToken
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, store.ErrInvalidSyncToken
	}
	var out []homeEntry
	for len(b) > 0 {
		e, n, err := readHomeEntry(b)
		if err != nil {
			return nil, store.ErrInvalidSyncToken
		}
		out = append(out, e)
		b = b[n:]
	}
	return out, nil
}

func readHomeEntry(b []byte) (homeEntry, int, error) {
	if len(b) < 16 {
		return homeEntry{}, 0, errBadToken
	}
	id := hex.EncodeToString(b[:16])
	e := homeEntry{uuid: id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]}
	n := 16
	rev, k := binary.Uvarint(b[n:])
	if k <= 0 {
		return e, 0, errBadToken
	}
	n += k
	size, k := binary.Uvarint(b[n:])
	if k <= 0 || uint64(len(b)-n-k) < size {
		return e, 0, errBadToken
	}
	n += k
	e.rev, e.name = int64(rev), string(b[n:n+int(size)])
	return e, n + int(size), nil
}
