import { describe, expect, it } from 'vitest';
import { describe as say, formatRRule, parseRRule, preset, ruleOf, withRule, type Anchor } from '../src/rrule';
import { parseWall } from '../src/tz';

// Tuesday 10 March 2026, 09:00 in Berlin: the second Tuesday of March.
const tue: Anchor = { start: parseWall('2026-03-10T09:00:00')!, zone: 'Europe/Berlin', allDay: false };
// Tuesday 31 March 2026: the fifth and last Tuesday.
const lastTue: Anchor = { start: parseWall('2026-03-31T09:00:00')!, zone: 'Europe/Berlin', allDay: false };
const allDay: Anchor = { start: parseWall('2026-03-10')!, zone: '', allDay: true };

describe('formatRRule', () => {
  it('writes the presets', () => {
    expect(formatRRule(preset('DAILY', tue), tue)).toBe('FREQ=DAILY');
    expect(formatRRule(preset('WEEKLY', tue), tue)).toBe('FREQ=WEEKLY');
    expect(formatRRule(preset('MONTHLY', tue), tue)).toBe('FREQ=MONTHLY');
    expect(formatRRule(preset('YEARLY', tue), tue)).toBe('FREQ=YEARLY');
  });
  it('writes weekly days, intervals and counts', () => {
    const r = { ...preset('WEEKLY', tue), interval: 2, byDay: ['FR', 'MO'] as ('FR' | 'MO')[], end: { kind: 'count' as const, count: 10 } };
    expect(formatRRule(r, tue)).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=10');
  });
  it('writes the n-th and the last weekday of the month', () => {
    expect(formatRRule({ ...preset('MONTHLY', tue), monthly: 'weekday' }, tue)).toBe('FREQ=MONTHLY;BYDAY=2TU');
    expect(formatRRule({ ...preset('MONTHLY', lastTue), monthly: 'weekday' }, lastTue)).toBe('FREQ=MONTHLY;BYDAY=-1TU');
    expect(formatRRule({ ...preset('YEARLY', tue), monthly: 'weekday' }, tue)).toBe('FREQ=YEARLY;BYMONTH=3;BYDAY=2TU');
  });
  it('writes UNTIL in UTC for a zoned series and as a date for an all-day one', () => {
    const until = { kind: 'until' as const, date: '2026-06-30' };
    expect(formatRRule({ ...preset('DAILY', tue), end: until }, tue)).toBe('FREQ=DAILY;UNTIL=20260630T215959Z');
    expect(formatRRule({ ...preset('DAILY', allDay), end: until }, allDay)).toBe('FREQ=DAILY;UNTIL=20260630');
  });
});

describe('parseRRule', () => {
  const cases = [
    'FREQ=DAILY',
    'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=10',
    'FREQ=MONTHLY;BYDAY=2TU',
    'FREQ=YEARLY;BYMONTH=3;BYDAY=2TU',
    'FREQ=DAILY;UNTIL=20260630T215959Z',
  ];
  for (const c of cases) {
    it(`round-trips ${c}`, () => {
      const r = parseRRule(c, tue);
      expect(r).not.toBeNull();
      expect(formatRRule(r!, tue)).toBe(c);
    });
  }
  it('accepts lower case, a prefix, a trailing semicolon and the default BYDAY', () => {
    expect(parseRRule('RRULE:freq=weekly;byday=TU;', tue)).toEqual({ ...preset('WEEKLY', tue) });
    expect(parseRRule('FREQ=MONTHLY;BYMONTHDAY=10', tue)).toEqual(preset('MONTHLY', tue));
  });
  it('reads the last weekday as -1 or as the fifth', () => {
    expect(parseRRule('FREQ=MONTHLY;BYDAY=-1TU', lastTue)?.monthly).toBe('weekday');
    expect(parseRRule('FREQ=MONTHLY;BYDAY=5TU', lastTue)?.monthly).toBe('weekday');
  });
  it('reads UNTIL as the last day in the event zone', () => {
    expect(parseRRule('FREQ=DAILY;UNTIL=20260630T215959Z', tue)?.end).toMatchObject({ kind: 'until', date: '2026-06-30' });
    expect(parseRRule('FREQ=DAILY;UNTIL=20260630', allDay)?.end).toMatchObject({ kind: 'until', date: '2026-06-30' });
  });
  it('ends a series split before an instance on the day before it', () => {
    // Split before the 09:00 (Berlin) instance of 24 March: UNTIL is a
    // second before it, and the 24th has no instance left.
    const r = parseRRule('FREQ=WEEKLY;UNTIL=20260324T075959Z', tue)!;
    expect(r.end).toMatchObject({ kind: 'until', date: '2026-03-23' });
    expect(say(r, tue)).toBe('Weekly on Tuesday, until 2026-03-23');
  });
  it('writes an unchanged UNTIL back as it was read', () => {
    for (const rule of ['FREQ=WEEKLY;UNTIL=20260324T075959Z', 'FREQ=DAILY;UNTIL=20260630T120000Z', 'FREQ=DAILY;UNTIL=20260630']) {
      const a = rule.endsWith('0630') ? allDay : tue;
      expect(formatRRule(parseRRule(rule, a)!, a)).toBe(rule);
    }
  });
  it('writes a changed last day as the end of that day, which never reaches the next day', () => {
    const r = parseRRule('FREQ=WEEKLY;UNTIL=20260324T075959Z', tue)!;
    expect(formatRRule({ ...r, end: { kind: 'until', date: '2026-03-23' } }, tue)).toBe('FREQ=WEEKLY;UNTIL=20260323T225959Z');
    expect(formatRRule({ ...r, end: { kind: 'until', date: '2026-03-31' } }, tue)).toBe('FREQ=WEEKLY;UNTIL=20260331T215959Z');
  });
  it('leaves rules it cannot show to the text editor', () => {
    for (const c of ['FREQ=HOURLY', 'FREQ=MONTHLY;BYDAY=1MO', 'FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU',
      'FREQ=DAILY;COUNT=2;UNTIL=20260101', 'FREQ=WEEKLY;BYDAY=XX', 'FREQ=MONTHLY;BYMONTHDAY=1,15', '', 'garbage']) {
      expect(parseRRule(c, tue)).toBeNull();
    }
  });
});

describe('describe', () => {
  it('says the rule in words', () => {
    expect(say(preset('DAILY', tue), tue)).toBe('Daily');
    expect(say({ ...preset('WEEKLY', tue), byDay: ['MO', 'TU', 'WE', 'TH', 'FR'] }, tue)).toBe('Weekly on weekdays');
    expect(say({ ...preset('WEEKLY', tue), interval: 2, byDay: ['MO', 'FR'], end: { kind: 'count', count: 3 } }, tue))
      .toBe('Every 2 weeks on Monday and Friday, 3 times');
    expect(say({ ...preset('MONTHLY', lastTue), monthly: 'weekday' }, lastTue)).toBe('Monthly on the last Tuesday');
    expect(say(preset('YEARLY', tue), tue)).toBe('Annually on March 10');
    expect(say({ ...preset('MONTHLY', tue), end: { kind: 'until', date: '2026-12-31' } }, tue)).toBe('Monthly on day 10, until 2026-12-31');
  });
});

describe('recurrence lines', () => {
  it('replaces the rule and keeps RDATE and EXDATE', () => {
    const lines = ['RRULE:FREQ=DAILY', 'EXDATE;TZID=Europe/Berlin:20260311T090000'];
    expect(ruleOf(lines)).toBe('FREQ=DAILY');
    expect(withRule(lines, 'FREQ=WEEKLY')).toEqual(['RRULE:FREQ=WEEKLY', lines[1]]);
    expect(withRule(lines, '')).toEqual([lines[1]]);
    expect(ruleOf(undefined)).toBe('');
  });
});
