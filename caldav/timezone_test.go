package caldav

import "testing"

func TestIanaZone(t *testing.T) {
	text := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	for tzid, want := range map[string]string{"W. Europe Standard Time": "Europe/Berlin"} {
		if got := ianaZone(text, tzid); got != want {
			t.Errorf("%s: %q, want %q", tzid, got, want)
		}
	}
	if got := ianaZone(text, "Europe/Paris"); got != "Europe/Paris" {
		t.Errorf("IANA: %q", got)
	}
}

func TestVtimezoneRoundTrip(t *testing.T) {
	text := vtimezone("Europe/Berlin")
	tzid, ok := vtimezoneID(text)
	if !ok || tzid != "Europe/Berlin" || ianaZone(text, tzid) != "Europe/Berlin" {
		t.Fatalf("%q %v:\n%s", tzid, ok, text)
	}
}
