"""Drive Almanac with Debian's python3-caldav: discovery, make_calendar,
save_event, date_search with expand, search, delete. Prints OK on success;
any failed check raises."""
import sys
from datetime import datetime, timezone

import caldav

url, user, password = sys.argv[1:4]
client = caldav.DAVClient(url, username=user, password=password)
principal = client.principal()
cal = principal.make_calendar(name="Python Work", cal_id="python-work")
assert any(c.url == cal.url for c in principal.calendars()), "new calendar not listed"

cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Almanac//interop//EN
BEGIN:VEVENT
UID:py-weekly@example.com
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T100000Z
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Weekly planning
END:VEVENT
END:VCALENDAR
""")
cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Almanac//interop//EN
BEGIN:VEVENT
UID:py-once@example.com
DTSTAMP:20260101T000000Z
DTSTART:20260120T140000Z
DTEND:20260120T150000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
""")

start = datetime(2026, 1, 1, tzinfo=timezone.utc)
end = datetime(2026, 2, 1, tzinfo=timezone.utc)
found = cal.date_search(start, end, expand=True)
starts = []
for ev in found:
    for comp in ev.icalendar_instance.walk("VEVENT"):
        starts.append(comp.get("DTSTART").dt)
# Four Mondays of the weekly series in January plus the dentist.
assert len(starts) == 5, f"expanded January: {len(starts)} instances: {starts}"

hits = cal.search(event=True, start=start, end=end)
assert len(hits) == 2, f"search: {len(hits)} objects"

dentist = cal.event_by_uid("py-once@example.com")
dentist.delete()
left = cal.date_search(start, end)
assert len(left) == 1, f"after delete: {len(left)} objects"
cal.delete()
print("OK")
