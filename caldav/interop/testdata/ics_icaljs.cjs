// Almanac's iCalendar export read by ical.js (Mozilla's parser, used by
// Thunderbird and many web clients): every VTIMEZONE is registered, then
// each VEVENT's start is converted to UTC and its first instances listed.
// Prints "UID|SUMMARY|start in UTC|next two starts" per VEVENT, then OK.
const fs = require("fs");
const ICAL = require("ical.js");

const comp = new ICAL.Component(ICAL.parse(fs.readFileSync(process.argv[2], "utf8")));
const seen = new Set();
for (const tz of comp.getAllSubcomponents("vtimezone")) {
  const id = tz.getFirstPropertyValue("tzid");
  if (seen.has(id)) throw new Error("VTIMEZONE written twice: " + id);
  seen.add(id);
  ICAL.TimezoneService.register(tz);
}
const utc = (t) => t.convertToZone(ICAL.Timezone.utcTimezone).toICALString();
for (const v of comp.getAllSubcomponents("vevent")) {
  const ev = new ICAL.Event(v);
  if (ev.isRecurrenceException()) continue;
  const it = ev.iterator();
  const next = [];
  for (let t = it.next(); t && next.length < 3; t = it.next()) next.push(t.isDate ? t.toICALString() : utc(t));
  console.log([ev.uid, ev.summary, ev.startDate.isDate ? ev.startDate.toICALString() : utc(ev.startDate), next.slice(1).join(",")].join("|"));
}
console.log("OK");
