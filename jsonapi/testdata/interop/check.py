"""Reads iCalendar files with the Python icalendar library (which
python3-caldav uses) and prints what it understood of each VEVENT as JSON."""
import json
import sys

from icalendar import Calendar

out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        cal = Calendar.from_ical(f.read())
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        item = {"uid": str(ev.get("UID")), "summary": str(ev.get("SUMMARY")), "start": start.isoformat()}
        tz = getattr(start, "tzinfo", None)
        if tz is not None:
            item["tz"] = getattr(tz, "zone", str(tz))
        if ev.get("RECURRENCE-ID") is not None:
            item["rid"] = ev.decoded("RECURRENCE-ID").isoformat()
        if ev.get("RRULE") is not None:
            item["rrule"] = ev.get("RRULE").to_ical().decode()
        out.append(item)
print(json.dumps(out))
