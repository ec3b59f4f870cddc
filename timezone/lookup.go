package timezone

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cache remembers Lookup's answers, found or not. Every DATE-TIME with a TZID
// goes through Lookup and loading a zone parses TZif data, so repeats must
// be cheap. TZIDs come from clients, so the cache is bounded: once full it
// stops growing and further names are resolved each time, which stays
// correct.
type cache[V any] struct {
	m   sync.Map // string → V
	n   atomic.Int64
	max int64
}

func (c *cache[V]) get(k string) (V, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (c *cache[V]) put(k string, v V) {
	if c.n.Load() >= c.max {
		return
	}
	if _, loaded := c.m.LoadOrStore(k, v); !loaded {
		c.n.Add(1)
	}
}

var lookups = &cache[*time.Location]{max: 8192}

// Lookup resolves a TZID to a location without any VTIMEZONE. It accepts
//
//   - IANA names and links, in any case ("America/New_York", "us/eastern");
//   - UTC in its spellings: "UTC", "GMT", "Z", "Etc/UTC", "Etc/GMT+5" and the
//     rest of the Etc area;
//   - Windows zone IDs as Outlook and Exchange write them ("W. Europe
//     Standard Time"), mapped through CLDR's windowsZones for territory 001,
//     and Windows display names ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
//     Stockholm, Vienna"), with or without the "(UTC…)" prefix;
//   - vendor prefixes: "/mozilla.org/20050126_1/America/New_York",
//     "/softwarestudio.org/Olson_20011030_5/America/New_York" and any other
//     "/vendor/…/Area/City", zoneinfo paths such as "posix/Europe/Vaduz", and
//     Exchange's "tzone://Microsoft/Utc";
//   - any of these in double quotes, with surrounding white space, or with
//     the TEXT escapes "\," and "\;".
//
// ok is false when nothing matches; the caller then needs the VTIMEZONE (see
// Resolve). The result is cached, so repeated calls are cheap.
func Lookup(tzid string) (loc *time.Location, ok bool) {
	if loc, ok := lookups.get(tzid); ok {
		return loc, loc != nil
	}
	loc = lookup(tzid)
	lookups.put(tzid, loc)
	return loc, loc != nil
}

func lookup(raw string) *time.Location {
	name := cleanTZID(raw)
	if name == "" {
		return nil
	}
	if loc := lookupName(name); loc != nil {
		return loc
	}
	lower := strings.ToLower(name)
	if rest, ok := strings.CutPrefix(lower, "tzone://microsoft/"); ok {
		return lookupName(name[len(name)-len(rest):])
	}
	// "/vendor/version/Area/City": drop leading segments until the rest is
	// a name we know. The longest match wins, so that
	// ".../America/Argentina/Buenos_Aires" is not read as a shorter name.
	if strings.HasPrefix(name, "/") || strings.HasPrefix(lower, "posix/") || strings.HasPrefix(lower, "right/") {
		parts := strings.Split(strings.Trim(name, "/"), "/")
		for i := range parts {
			if loc := lookupName(strings.Join(parts[i:], "/")); loc != nil {
				return loc
			}
		}
	}
	return nil
}

// cleanTZID undoes what clients do to TZIDs on the way: quotes (kept by some
// parsers from TZID="..." parameters), the spaces Outlook leaves, and TEXT
// escaping applied to the TZID property value.
func cleanTZID(s string) string {
	s = strings.TrimSpace(s)
	for len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if strings.Contains(s, `\`) {
		s = strings.NewReplacer(`\,`, ",", `\;`, ";", `\\`, `\`).Replace(s)
	}
	return s
}

// lookupName matches one name against the IANA database and the Windows
// tables.
func lookupName(name string) *time.Location {
	key := strings.ToLower(name)
	switch key {
	case "z", "utc":
		return time.UTC
	case "local", "":
		// time.LoadLocation("Local") is the host's zone, never what a
		// client meant.
		return nil
	}
	if n, ok := ianaNames[key]; ok {
		return load(n)
	}
	if strings.Contains(key, " ") {
		if n, ok := ianaNames[strings.ReplaceAll(key, " ", "_")]; ok {
			return load(n) // "America/New York"
		}
		key = strings.Join(strings.Fields(key), " ")
	}
	if n, ok := windowsZones[key]; ok {
		return load(n)
	}
	if id, ok := windowsDisplayNames[displayKey(key)]; ok {
		return load(windowsZones[strings.ToLower(id)])
	}
	return nil
}

// displayKey normalises a Windows display name: older Windows versions wrote
// "(GMT+01:00)" where newer ones write "(UTC+01:00)", and the city list is
// what identifies the zone, so a prefix CLDR does not know is dropped.
func displayKey(key string) string {
	if !strings.HasPrefix(key, "(") {
		return key
	}
	if rest, ok := strings.CutPrefix(key, "(gmt"); ok {
		key = "(utc" + rest
	}
	if _, ok := windowsDisplayNames[key]; ok {
		return key
	}
	if i := strings.Index(key, ") "); i > 0 {
		return key[i+2:]
	}
	return key
}

func load(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// WindowsZone returns the IANA zone that CLDR maps the Windows time zone ID
// to for territory, an ISO 3166 region code such as "CA" ("Eastern Standard
// Time" is America/Toronto there). Without a mapping for the territory it
// returns the default (territory 001) one, as Lookup does. ok is false when
// id is not a Windows zone ID.
func WindowsZone(id, territory string) (iana string, ok bool) {
	key := strings.Join(strings.Fields(strings.ToLower(cleanTZID(id))), " ")
	if z, ok := windowsTerritoryZones[key+"/"+strings.ToLower(territory)]; ok {
		return z, true
	}
	z, ok := windowsZones[key]
	return z, ok
}
