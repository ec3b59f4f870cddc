// Reads iCalendar files with ical.js (module path in ICALJS) and prints
// the first occurrences of each series in UTC, with the summary each
// occurrence has after overrides, as JSON. Time zones come from the files'
// own VTIMEZONEs, as in a browser.
const fs = require("fs");
const ICAL = require(process.env.ICALJS);

const out = [];
for (const path of process.argv.slice(2)) {
  const comp = new ICAL.Component(ICAL.parse(fs.readFileSync(path, "utf8")));
  for (const vtz of comp.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  }
  const events = comp.getAllSubcomponents("vevent");
  const master = events.find((e) => !e.hasProperty("recurrence-id"));
  const ev = new ICAL.Event(master, { exceptions: events.filter((e) => e !== master) });
  const it = ev.iterator();
  const occ = [];
  for (let next = it.next(); next && occ.length < 6; next = it.next()) {
    const d = ev.getOccurrenceDetails(next);
    occ.push(d.startDate.toJSDate().toISOString() + " " + d.item.summary);
  }
  out.push({ uid: master.getFirstPropertyValue("uid"), occurrences: occ });
}
console.log(JSON.stringify(out));
