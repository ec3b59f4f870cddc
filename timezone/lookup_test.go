package timezone

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		tzid string
		want string // loc.String(); "" when Lookup must fail
	}{
		// IANA names, links and case.
		{"America/New_York", "America/New_York"},
		{"america/new_york", "America/New_York"},
		{"AMERICA/NEW_YORK", "America/New_York"},
		{"America/New York", "America/New_York"},
		{"US/Eastern", "US/Eastern"},
		{"us/pacific", "US/Pacific"},
		{"Asia/Calcutta", "Asia/Calcutta"},
		{"Asia/Kolkata", "Asia/Kolkata"},
		{"Japan", "Japan"},
		{"Canada/Mountain", "Canada/Mountain"},
		{"Mexico/General", "Mexico/General"},
		{"America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"America/Port-au-Prince", "America/Port-au-Prince"},
		{"EST5EDT", "EST5EDT"},

		// UTC and the Etc area.
		{"UTC", "UTC"},
		{"utc", "UTC"},
		{"Z", "UTC"},
		{"GMT", "GMT"},
		{"Etc/UTC", "Etc/UTC"},
		{"etc/gmt+5", "Etc/GMT+5"},
		{"Etc/GMT-14", "Etc/GMT-14"},
		{"Zulu", "Zulu"},

		// Windows IDs, default (001) territory.
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"Eastern Standard Time", "America/New_York"},
		{"Pacific Standard Time (Mexico)", "America/Tijuana"},
		{"Pacific Standard Time", "America/Los_Angeles"},
		{"Central Standard Time", "America/Chicago"},
		{"Central Standard Time (Mexico)", "America/Mexico_City"},
		{"Mountain Standard Time", "America/Denver"},
		{"Mountain Standard Time (Mexico)", "America/Mazatlan"},
		{"US Mountain Standard Time", "America/Phoenix"},
		{"GMT Standard Time", "Europe/London"},
		{"Greenwich Standard Time", "Atlantic/Reykjavik"},
		{"Romance Standard Time", "Europe/Paris"},
		{"Central Europe Standard Time", "Europe/Budapest"},
		{"Central European Standard Time", "Europe/Warsaw"},
		{"FLE Standard Time", "Europe/Kyiv"},
		{"GTB Standard Time", "Europe/Bucharest"},
		{"Russian Standard Time", "Europe/Moscow"},
		{"India Standard Time", "Asia/Kolkata"},
		{"Nepal Standard Time", "Asia/Kathmandu"},
		{"China Standard Time", "Asia/Shanghai"},
		{"Tokyo Standard Time", "Asia/Tokyo"},
		{"AUS Eastern Standard Time", "Australia/Sydney"},
		{"Cen. Australia Standard Time", "Australia/Adelaide"},
		{"New Zealand Standard Time", "Pacific/Auckland"},
		{"Chatham Islands Standard Time", "Pacific/Chatham"},
		{"Newfoundland Standard Time", "America/St_Johns"},
		{"E. South America Standard Time", "America/Sao_Paulo"},
		{"Argentina Standard Time", "America/Argentina/Buenos_Aires"},
		{"Greenland Standard Time", "America/Nuuk"},
		{"US Eastern Standard Time", "America/Indiana/Indianapolis"},
		{"SA Pacific Standard Time", "America/Bogota"},
		{"Morocco Standard Time", "Africa/Casablanca"},
		{"Arabian Standard Time", "Asia/Dubai"},
		{"Israel Standard Time", "Asia/Jerusalem"},
		{"Iran Standard Time", "Asia/Tehran"},
		{"UTC-11", "Etc/GMT+11"},
		{"UTC+12", "Etc/GMT-12"},
		{"Dateline Standard Time", "Etc/GMT+12"},
		{"w. europe standard time", "Europe/Berlin"},
		{"W.  Europe   Standard Time", "Europe/Berlin"},

		// Windows display names.
		{"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"},
		{"(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"},
		{"(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"},
		{"(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "Europe/London"},
		{"Canberra, Melbourne, Sydney", "Australia/Sydney"},
		{`Kuala Lumpur\, Singapore`, "Asia/Singapore"},

		// Vendor prefixes and zoneinfo paths.
		{"/mozilla.org/20050126_1/America/New_York", "America/New_York"},
		{"/mozilla.org/20070129_1/America/New_York", "America/New_York"},
		{"/softwarestudio.org/Olson_20011030_5/America/New_York", "America/New_York"},
		{"/softwarestudio.org/Tzfile/America/Chicago", "America/Chicago"},
		{"/freeassociation.sourceforge.net/Tzfile/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"/freeassociation.sourceforge.net/Europe/Berlin", "Europe/Berlin"},
		{"/citadel.org/20190914_1/Europe/Berlin", "Europe/Berlin"},
		{"/Europe/Stockholm", "Europe/Stockholm"},
		{"/example.com/v1/Pacific/Chatham/", "Pacific/Chatham"},
		{"posix/Europe/Vaduz", "Europe/Vaduz"},
		{"right/Asia/Tokyo", "Asia/Tokyo"},
		{"tzone://Microsoft/Utc", "UTC"},

		// Quotes, spaces and escapes.
		{`"Europe/Berlin"`, "Europe/Berlin"},
		{`  Europe/Berlin  `, "Europe/Berlin"},
		{`"W. Europe Standard Time "`, "Europe/Berlin"},
		{"\tEastern Standard Time\r\n", "America/New_York"},
		{`" /mozilla.org/20050126_1/Europe/Paris "`, "Europe/Paris"},

		// Unknown.
		{"", ""},
		{"   ", ""},
		{`""`, ""},
		{"Local", ""},
		{"Eastern", ""},
		{"Fictitious", ""},
		{"Europe/CUSTOM", ""},
		{"/Europe/CUSTOM", ""},
		{"custom_America/New_York", ""},
		{"Customized Time Zone", ""},
		{"tzone://Microsoft/Custom", ""},
		{"GMT +0100 (Standard) / GMT +0200 (Daylight)", ""},
		{"Western/Central Europe", ""},
		{"../../../etc/passwd", ""},
		{"/etc/passwd", ""},
		{"Europe/../Europe/Berlin", ""},
	}
	for _, tt := range tests {
		loc, ok := Lookup(tt.tzid)
		if tt.want == "" {
			if ok || loc != nil {
				t.Errorf("Lookup(%q) = %v, %v; want not found", tt.tzid, loc, ok)
			}
			continue
		}
		if !ok || loc == nil {
			t.Errorf("Lookup(%q) not found; want %s", tt.tzid, tt.want)
			continue
		}
		if loc.String() != tt.want {
			t.Errorf("Lookup(%q) = %s; want %s", tt.tzid, loc, tt.want)
		}
		// The second call comes from the cache and must agree.
		if again, _ := Lookup(tt.tzid); again != loc {
			t.Errorf("Lookup(%q) not stable: %p then %p", tt.tzid, loc, again)
		}
	}
}

// TestLookupOffsets checks that the locations carry the rules, not just the
// names: summer and winter offsets of a few of them.
func TestLookupOffsets(t *testing.T) {
	tests := []struct {
		tzid           string
		winter, summer string // UTC offsets on 15 January and 15 July 2026
	}{
		{"Eastern Standard Time", "-0500", "-0400"},
		{"/mozilla.org/20050126_1/Europe/Berlin", "+0100", "+0200"},
		{"Etc/GMT+5", "-0500", "-0500"},
		{"Chatham Islands Standard Time", "+1345", "+1245"},
		{"Newfoundland Standard Time", "-0330", "-0230"},
		{"india standard time", "+0530", "+0530"},
		{"Z", "+0000", "+0000"},
	}
	for _, tt := range tests {
		loc, ok := Lookup(tt.tzid)
		if !ok {
			t.Errorf("Lookup(%q) failed", tt.tzid)
			continue
		}
		w := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Format("-0700")
		s := time.Date(2026, 7, 15, 12, 0, 0, 0, loc).Format("-0700")
		if w != tt.winter || s != tt.summer {
			t.Errorf("%s: offsets %s/%s; want %s/%s", tt.tzid, w, s, tt.winter, tt.summer)
		}
	}
}

func TestWindowsZone(t *testing.T) {
	tests := []struct {
		id, territory string
		want          string // "" when not a Windows ID
	}{
		{"Eastern Standard Time", "CA", "America/Toronto"},
		{"Eastern Standard Time", "BS", "America/Nassau"},
		{"Eastern Standard Time", "US", "America/New_York"},
		{"Eastern Standard Time", "FR", "America/New_York"}, // no mapping: the 001 default
		{"Central Europe Standard Time", "CZ", "Europe/Prague"},
		{"Central Europe Standard Time", "", "Europe/Budapest"},
		{"W. Europe Standard Time", "CH", "Europe/Zurich"},
		{"W. Europe Standard Time", "nl", "Europe/Amsterdam"},
		{"GMT Standard Time", "IE", "Europe/Dublin"},
		{"GMT Standard Time", "PT", "Europe/Lisbon"},
		{"Pacific Standard Time", "CA", "America/Vancouver"},
		{"SA Western Standard Time", "PR", "America/Puerto_Rico"},
		{"Romance Standard Time", "ES", "Europe/Madrid"},
		{"India Standard Time", "IN", "Asia/Kolkata"},
		{"SE Asia Standard Time", "VN", "Asia/Ho_Chi_Minh"},
		{"AUS Eastern Standard Time", "AU", "Australia/Sydney"},
		{"UTC", "ZZ", "Etc/UTC"},
		{" \"Eastern Standard Time\" ", "ca", "America/Toronto"},
		{"Europe/Berlin", "DE", ""},
		{"Nowhere Standard Time", "US", ""},
	}
	for _, tt := range tests {
		got, ok := WindowsZone(tt.id, tt.territory)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("WindowsZone(%q, %q) = %q, %v; want %q", tt.id, tt.territory, got, ok, tt.want)
		}
	}
}

// TestGeneratedTables checks that every name the generated tables point at
// exists in the embedded IANA database.
func TestGeneratedTables(t *testing.T) {
	if len(ianaNames) < 500 || len(windowsZones) < 130 {
		t.Fatalf("tables look truncated: %d IANA names, %d Windows zones", len(ianaNames), len(windowsZones))
	}
	for k, name := range ianaNames {
		if strings.ToLower(name) != k {
			t.Errorf("ianaNames[%q] = %q", k, name)
		}
		if _, err := time.LoadLocation(name); err != nil {
			t.Errorf("IANA name %q does not load: %v", name, err)
		}
	}
	check := func(table, key, zone string) {
		if _, ok := ianaNames[strings.ToLower(zone)]; !ok {
			t.Errorf("%s[%q] = %q, not an IANA name", table, key, zone)
		}
	}
	for k, z := range windowsZones {
		check("windowsZones", k, z)
		if _, ok := windowsIDs[k]; !ok {
			t.Errorf("windowsIDs lacks %q", k)
		}
	}
	for k, z := range windowsTerritoryZones {
		check("windowsTerritoryZones", k, z)
	}
	for k, id := range windowsDisplayNames {
		if _, ok := windowsZones[strings.ToLower(id)]; !ok {
			t.Errorf("windowsDisplayNames[%q] = %q, not a Windows ID", k, id)
		}
	}
	// Every Windows ID must resolve through Lookup, in its CLDR spelling.
	for _, id := range windowsIDs {
		if _, ok := Lookup(id); !ok {
			t.Errorf("Lookup(%q) failed", id)
		}
	}
}

func TestLookupConcurrent(t *testing.T) {
	names := []string{"Europe/Berlin", "W. Europe Standard Time", "us/eastern", "nope", "/mozilla.org/x/Asia/Tokyo"}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				n := names[(g+i)%len(names)]
				loc, ok := Lookup(n)
				if ok != (n != "nope") || (ok && loc == nil) {
					t.Errorf("Lookup(%q) = %v, %v", n, loc, ok)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestLookupCacheBound checks that a flood of distinct unknown names stops
// growing the cache and leaves answers correct.
func TestLookupCacheBound(t *testing.T) {
	c := &cache[*time.Location]{max: 10}
	for i := 0; i < 100; i++ {
		c.put(fmt.Sprint("x", i), nil)
	}
	if n := c.n.Load(); n != 10 {
		t.Errorf("cache holds %d entries; want 10", n)
	}
	if _, ok := c.get("x99"); ok {
		t.Error("entry beyond the bound was stored")
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, name := range []string{"Europe/Berlin", "W. Europe Standard Time", "/mozilla.org/20050126_1/America/New_York", "Unknown/Zone"} {
		b.Run(name, func(b *testing.B) {
			Lookup(name)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Lookup(name)
			}
		})
	}
}

// BenchmarkLookupUncached measures the work the cache saves.
func BenchmarkLookupUncached(b *testing.B) {
	for _, name := range []string{"Europe/Berlin", "W. Europe Standard Time", "/mozilla.org/20050126_1/America/New_York"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				lookup(name)
			}
		})
	}
}
