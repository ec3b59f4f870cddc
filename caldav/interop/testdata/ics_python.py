#!/usr/bin/env python3
"""Almanac's iCalendar export read by python3-icalendar, and a calendar
written by python3-icalendar for Almanac to import.

  ics_python.py read EXPORT.ics   prints "UID|SUMMARY|DTSTART in UTC" per VEVENT, then OK
  ics_python.py write OUT.ics     writes a calendar made with icalendar, then OK
"""
import datetime
import sys

import icalendar


def read(path):
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    tzids = [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")]
    assert len(tzids) == len(set(tzids)), "VTIMEZONE written twice: %r" % tzids
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        if isinstance(start, datetime.datetime) and start.tzinfo is not None:
            start = start.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        elif isinstance(start, datetime.datetime):
            start = start.strftime("%Y%m%dT%H%M%S")  # a TZID python-icalendar cannot resolve
        else:
            start = start.strftime("%Y%m%d")
        print("%s|%s|%s" % (ev["UID"], ev.get("SUMMARY", ""), start))
    print("OK")


def vtimezone():
    tz = icalendar.Timezone()
    tz.add("TZID", "Europe/Berlin")
    std = icalendar.TimezoneStandard()
    std.add("DTSTART", datetime.datetime(1970, 10, 25, 3, 0, 0))
    std.add("TZOFFSETFROM", datetime.timedelta(hours=2))
    std.add("TZOFFSETTO", datetime.timedelta(hours=1))
    std.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"})
    dst = icalendar.TimezoneDaylight()
    dst.add("DTSTART", datetime.datetime(1970, 3, 29, 2, 0, 0))
    dst.add("TZOFFSETFROM", datetime.timedelta(hours=1))
    dst.add("TZOFFSETTO", datetime.timedelta(hours=2))
    dst.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"})
    tz.add_component(std)
    tz.add_component(dst)
    return tz


def event(uid, summary, **props):
    ev = icalendar.Event()
    ev.add("UID", uid)
    ev.add("DTSTAMP", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    ev.add("SUMMARY", summary)
    for k, v in props.items():
        ev.add(k.replace("_", "-"), v)
    return ev


def write(path):
    cal = icalendar.Calendar()
    cal.add("PRODID", "-//python-icalendar//interop//EN")
    cal.add("VERSION", "2.0")
    cal.add("X-WR-CALNAME", "From Python")
    cal.add_component(vtimezone())
    weekly = event("py-weekly", "Weekly, written by Python", rrule={"FREQ": "WEEKLY", "COUNT": 10})
    weekly.add("DTSTART", datetime.datetime(2026, 3, 2, 9, 0), parameters={"TZID": "Europe/Berlin"})
    weekly.add("DTEND", datetime.datetime(2026, 3, 2, 10, 0), parameters={"TZID": "Europe/Berlin"})
    cal.add_component(weekly)
    moved = event("py-weekly", "Weekly (moved)")
    moved.add("RECURRENCE-ID", datetime.datetime(2026, 3, 9, 9, 0), parameters={"TZID": "Europe/Berlin"})
    moved.add("DTSTART", datetime.datetime(2026, 3, 10, 15, 0), parameters={"TZID": "Europe/Berlin"})
    moved.add("DTEND", datetime.datetime(2026, 3, 10, 16, 0), parameters={"TZID": "Europe/Berlin"})
    cal.add_component(moved)
    allday = event("py-allday", "Holiday; with, punctuation")
    allday.add("DTSTART", datetime.date(2026, 4, 6))
    allday.add("DTEND", datetime.date(2026, 4, 7))
    cal.add_component(allday)
    utc = event("py-utc", "Call")
    utc.add("DTSTART", datetime.datetime(2026, 3, 3, 17, 0, tzinfo=datetime.timezone.utc))
    utc.add("DURATION", datetime.timedelta(minutes=45))
    cal.add_component(utc)
    with open(path, "wb") as f:
        f.write(cal.to_ical())
    print("OK")


if __name__ == "__main__":
    {"read": read, "write": write}[sys.argv[1]](sys.argv[2])
