package recurrence_test

import (
	"fmt"
	"time"

	"github.com/almanac/almanac/icalendar"
	"github.com/almanac/almanac/recurrence"
)

func Example() {
	data := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:standup@example.com\r\nDTSTAMP:20240301T000000Z\r\n" +
		"DTSTART;TZID=America/New_York:20240308T090000\r\nDURATION:PT15M\r\n" +
		"RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	obj, err := icalendar.ParseObject(data, icalendar.Options{})
	if err != nil {
		panic(err)
	}
	s, err := recurrence.NewSeries(obj, recurrence.Options{})
	if err != nil {
		panic(err)
	}
	week, _ := s.Expand(time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 13, 0, 0, 0, 0, time.UTC))
	for _, in := range week {
		fmt.Println(in.Start.Format(time.RFC3339), in.End.Sub(in.Start))
	}
	// Output:
	// 2024-03-08T14:00:00Z 15m0s
	// 2024-03-11T13:00:00Z 15m0s
	// 2024-03-12T13:00:00Z 15m0s
}

func ExampleSeries_Materialize() {
	data := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:birthday@example.com\r\nDTSTAMP:20240301T000000Z\r\n" +
		"DTSTART;VALUE=DATE:20000229\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	obj, _ := icalendar.ParseObject(data, icalendar.Options{})
	s, _ := recurrence.NewSeries(obj, recurrence.Options{})
	m, _ := s.Materialize(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, in := range m.Instances {
		fmt.Println(in.Start.Format("2006-01-02"), in.AllDay, in.Floating)
	}
	fmt.Println("more after", m.Until.Format("2006"), m.More)
	// Output:
	// 2000-02-29 true true
	// 2004-02-29 true true
	// 2008-02-29 true true
	// more after 2010 true
}
