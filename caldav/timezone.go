package caldav

import (
	"bufio"
	"fmt"
	"strings"
	"time"
)

// vtimezoneID checks that text is a VCALENDAR holding exactly one
// VTIMEZONE (RFC 4791 §5.2.2) and returns its TZID.
func vtimezoneID(text string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var tzid string
	count, calendars, depth := 0, 0, 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		name, value, _ := strings.Cut(line, ":")
		name, _, _ = strings.Cut(strings.ToUpper(name), ";")
		switch {
		case name == "BEGIN" && strings.EqualFold(value, "VCALENDAR"):
			calendars++
		case name == "BEGIN" && strings.EqualFold(value, "VTIMEZONE"):
			count++
			depth++
		case name == "END" && strings.EqualFold(value, "VTIMEZONE"):
			depth--
		case name == "TZID" && depth == 1 && tzid == "":
			tzid = strings.TrimSpace(value)
		}
	}
	return tzid, calendars == 1 && count == 1 && tzid != "" && sc.Err() == nil
}

func loadable(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// vtimezone describes an IANA zone as a VCALENDAR with one VTIMEZONE,
// listing this year's and next year's transitions (enough for a client to
// display floating times; clients keep their own definitions anyway).
func vtimezone(name string) string {
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Almanac//CalDAV//EN\r\nBEGIN:VTIMEZONE\r\nTZID:" + name + "\r\n")
	year := time.Now().Year()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	_, prev := from.Zone()
	wrote := false
	for t := from; t.Year() <= year+1; t = t.Add(time.Hour) {
		abbr, off := t.Zone()
		if off == prev {
			continue
		}
		kind := "STANDARD"
		if t.IsDST() {
			kind = "DAYLIGHT"
		}
		local := t.Add(-time.Duration(off-prev) * time.Second) // wall clock before the change
		fmt.Fprintf(&b, "BEGIN:%s\r\nDTSTART:%s\r\nTZOFFSETFROM:%s\r\nTZOFFSETTO:%s\r\nTZNAME:%s\r\nEND:%s\r\n",
			kind, local.Format("20060102T150405"), offset(prev), offset(off), abbr, kind)
		prev, wrote = off, true
	}
	if !wrote {
		abbr, off := from.Zone()
		fmt.Fprintf(&b, "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:%s\r\nTZOFFSETTO:%s\r\nTZNAME:%s\r\nEND:STANDARD\r\n",
			offset(off), offset(off), abbr)
	}
	b.WriteString("END:VTIMEZONE\r\nEND:VCALENDAR\r\n")
	return b.String()
}

func offset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
}
