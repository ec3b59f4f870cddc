// Drive Almanac with the npm tsdav client: fetchCalendars,
// createCalendarObject, syncCollection. Prints OK on success; a failed
// check exits non-zero.
const { createDAVClient } = require('tsdav');
const assert = require('assert');

const [url, username, password] = process.argv.slice(2);

const event = (uid, day) => [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Almanac//tsdav//EN', 'BEGIN:VEVENT',
  `UID:${uid}`, 'DTSTAMP:20260101T000000Z', `DTSTART:202603${day}T100000Z`, `DTEND:202603${day}T110000Z`,
  `SUMMARY:tsdav ${uid}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

(async () => {
  const client = await createDAVClient({
    serverUrl: url, credentials: { username, password }, authMethod: 'Basic', defaultAccountType: 'caldav',
  });
  const home = new URL(`calendars/${username}/`, url).href;
  await client.makeCalendar({ url: `${home}tsdav/`, props: { displayname: 'From tsdav' } });
  let calendars = await client.fetchCalendars();
  let cal = calendars.find((c) => c.url.endsWith('/tsdav/'));
  assert.ok(cal, `calendar not found among ${calendars.map((c) => c.url)}`);
  assert.strictEqual(cal.displayName, 'From tsdav');
  const res = await client.createCalendarObject({ calendar: cal, filename: 'one.ics', iCalString: event('ts-one', '02') });
  assert.strictEqual(res.status, 201, `create: ${res.status}`);

  const first = await client.syncCollection({ url: cal.url, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: '' });
  const hrefs = first.filter((r) => r.href).map((r) => r.href);
  assert.ok(hrefs.some((h) => h.endsWith('/one.ics')), `initial sync: ${JSON.stringify(hrefs)}`);

  calendars = await client.fetchCalendars();
  cal = calendars.find((c) => c.url.endsWith('/tsdav/'));
  const token = cal.syncToken;
  assert.ok(token, 'no sync token');
  await client.createCalendarObject({ calendar: cal, filename: 'two.ics', iCalString: event('ts-two', '03') });
  const delta = await client.syncCollection({ url: cal.url, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token });
  const changed = delta.filter((r) => r.href).map((r) => r.href);
  assert.deepStrictEqual(changed.map((h) => h.split('/').pop()), ['two.ics'], `delta: ${JSON.stringify(changed)}`);

  const objs = await client.fetchCalendarObjects({ calendar: cal, timeRange: { start: '2026-03-01T00:00:00Z', end: '2026-03-04T00:00:00Z' } });
  assert.strictEqual(objs.length, 2, `time-range: ${objs.length}`);
  console.log('OK');
})().catch((e) => { console.error(e); process.exit(1); });
