#!/usr/bin/python3
"""Two users of one server schedule a weekly meeting with python3-caldav:
alice invites bob, bob accepts the invitation from his schedule inbox,
then declines one week in his copy; alice's copy shows both answers; alice
asks the outbox for bob's free-busy time. Prints OK at the end."""
import sys, time
from datetime import datetime, timedelta, timezone
import caldav, icalendar

url, alice_pw, bob_pw = sys.argv[1], sys.argv[2], sys.argv[3]
alice = caldav.DAVClient(url, username="alice", password=alice_pw)
bob = caldav.DAVClient(url, username="bob", password=bob_pw)

def wait(what, cond, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.1)
    raise SystemExit("timed out waiting for " + what)

assert "calendar-auto-schedule" in alice.check_dav_support(), "no calendar-auto-schedule in DAV"
ap, bp = alice.principal(), bob.principal()
assert ap.schedule_inbox().url and ap.schedule_outbox().url
work = ap.make_calendar(name="Work", cal_id="work")

work.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//interop//python-caldav//EN
BEGIN:VEVENT
UID:weekly-py@example.com
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T100000Z
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Weekly sync
ORGANIZER;CN=Alice:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com
END:VEVENT
END:VCALENDAR
""")

# Bob's invitation is in his inbox; he accepts it the python-caldav way.
inbox = bp.schedule_inbox()
item = wait("bob's inbox item", lambda: [i for i in inbox.get_items() if i.is_invite_request()])[0]
item.accept_invite(calendar=bp.calendars()[0])

def partstat(cal, who, rid=None):
    for ev in cal.events():
        for comp in ev.icalendar_instance.walk("VEVENT"):
            if str(comp.get("UID")) != "weekly-py@example.com":
                continue
            r = comp.get("RECURRENCE-ID")
            if (rid is None) != (r is None) or rid is not None and r.dt != rid:
                continue
            atts = comp.get("ATTENDEE")
            for a in atts if isinstance(atts, list) else [atts]:
                if str(a).lower() == "mailto:" + who:
                    return a.params.get("PARTSTAT")
    return None

wait("bob's acceptance at alice", lambda: partstat(work, "bob@example.com") == "ACCEPTED")

# Bob declines the second week in his own copy.
bcal = bp.calendars()[0]
ev = [e for e in bcal.events() if "weekly-py" in e.data][0]
cal = ev.icalendar_instance
master = [c for c in cal.walk("VEVENT") if c.get("RECURRENCE-ID") is None][0]
week2 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
ov = icalendar.Event()
for k in ("UID", "SUMMARY", "ORGANIZER", "SEQUENCE", "DTSTAMP"):
    if master.get(k) is not None:
        ov.add(k, master.get(k))
ov.add("RECURRENCE-ID", week2)
ov.add("DTSTART", week2)
ov.add("DTEND", week2 + timedelta(hours=1))
for a in master.get("ATTENDEE"):
    b = icalendar.vCalAddress(str(a))
    b.params.update(a.params)
    if str(a).lower() == "mailto:bob@example.com":
        b.params["PARTSTAT"] = "DECLINED"
    ov.add("ATTENDEE", b)
cal.add_component(ov)
ev.data = cal.to_ical().decode()
ev.save()
wait("bob's declined week at alice", lambda: partstat(work, "bob@example.com", week2) == "DECLINED")
assert partstat(work, "bob@example.com") == "ACCEPTED", "declining one week changed the series answer"

# Free-busy through alice's outbox (RFC 6638 §5): the request as
# python-caldav builds it, the answer read raw.
fb = icalendar.Calendar()
fb.add("prodid", "-//interop//EN")
fb.add("version", "2.0")
fb.add("method", "REQUEST")
comp = icalendar.FreeBusy()
comp.add("uid", "fb-1")
comp.add("dtstamp", datetime.now(timezone.utc))
comp.add("dtstart", datetime(2026, 1, 5, tzinfo=timezone.utc))
comp.add("dtend", datetime(2026, 1, 6, tzinfo=timezone.utc))
comp.add("organizer", "mailto:alice@example.com")
comp.add("attendee", "mailto:bob@example.com")
fb.add_component(comp)
resp = alice.post(str(ap.schedule_outbox().url), fb.to_ical().decode(), headers={"Content-Type": "text/calendar; charset=utf-8"})
raw = resp.raw if isinstance(resp.raw, str) else resp.raw.decode()
assert "2.0;Success" in raw, raw
assert "FREEBUSY;FBTYPE=BUSY:20260105T090000Z/20260105T100000Z" in raw.replace("\r\n ", ""), raw
print("free-busy: bob is busy 09:00-10:00")
print("OK")
