// The recurrence editor's model and its RRULE text (RFC 5545 §3.3.10).
// A rule the editor cannot show (BYSETPOS, BYHOUR, several BYMONTHDAY…)
// is kept as text and edited as such.

import { instantOf, wallAt, dateString, parseWall, type Wall } from './tz';

export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
export const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type RecurrenceEnd =
  | { kind: 'never' }
  | { kind: 'count'; count: number }
  // date: the last day with an instance, YYYY-MM-DD, in the event's zone;
  // raw: the UNTIL value as read, written back while date is unchanged.
  | { kind: 'until'; date: string; raw?: string };

export interface Recurrence {
  freq: Freq;
  interval: number;
  /** WEEKLY: the days of the week. */
  byDay: Weekday[];
  /** MONTHLY and YEARLY: on the start's day of the month, or on its n-th weekday. */
  monthly: 'day' | 'weekday';
  end: RecurrenceEnd;
}

/** What the rule is drawn from: the event's first start. */
export interface Anchor {
  start: Wall;
  zone: string; // the event's zone; '' for all-day or floating
  allDay: boolean;
}

/** The weekday (0 = Sunday) of a wall clock's date. */
export function weekdayOf(w: Wall): number {
  return new Date(Date.UTC(w.y, w.m - 1, w.d)).getUTCDay();
}

/** Which occurrence of its weekday the date is in its month: 1–5, or -1 for the last. */
export function nthWeekday(w: Wall): { n: number; last: boolean } {
  const n = Math.floor((w.d - 1) / 7) + 1;
  const dim = new Date(Date.UTC(w.y, w.m, 0)).getUTCDate();
  return { n, last: w.d + 7 > dim };
}

/** A new recurrence of freq for the anchor, as the presets make it. */
export function preset(freq: Freq, a: Anchor): Recurrence {
  return {
    freq,
    interval: 1,
    byDay: freq === 'WEEKLY' ? [WEEKDAYS[weekdayOf(a.start)]] : [],
    monthly: 'day',
    end: { kind: 'never' },
  };
}

/** The RRULE value (without "RRULE:") for r starting at a. */
export function formatRRule(r: Recurrence, a: Anchor): string {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${Math.floor(r.interval)}`);
  if (r.freq === 'WEEKLY' && r.byDay.length > 0) {
    const days = WEEKDAYS.filter((d) => r.byDay.includes(d));
    const own = WEEKDAYS[weekdayOf(a.start)];
    if (!(days.length === 1 && days[0] === own)) parts.push(`BYDAY=${days.join(',')}`);
  }
  if ((r.freq === 'MONTHLY' || r.freq === 'YEARLY') && r.monthly === 'weekday') {
    const { n, last } = nthWeekday(a.start);
    const wd = WEEKDAYS[weekdayOf(a.start)];
    if (r.freq === 'YEARLY') parts.push(`BYMONTH=${a.start.m}`);
    parts.push(`BYDAY=${last && n === 5 ? -1 : n}${wd}`);
  }
  if (r.end.kind === 'count') parts.push(`COUNT=${Math.max(1, Math.floor(r.end.count))}`);
  if (r.end.kind === 'until') {
    const e = r.end;
    parts.push(`UNTIL=${e.raw && untilDate(e.raw, a) === e.date ? e.raw : untilValue(e.date, a)}`);
  }
  return parts.join(';');
}

/**
 * UNTIL for the last day: a date for an all-day series, the end of that
 * day as a floating time for a floating one, and otherwise the end of the
 * day in the event's zone, in UTC (RFC 5545 §3.3.10: UNTIL must be UTC
 * when DTSTART has a zone).
 */
function untilValue(date: string, a: Anchor): string {
  const w = parseWall(date);
  if (!w) throw new Error(`not a date: ${date}`);
  const compact = (s: string) => s.replace(/[-:]/g, '');
  if (a.allDay) return compact(dateString(w));
  const endOfDay = { ...w, h: 23, mi: 59, s: 59 };
  if (!a.zone) return compact(`${dateString(w)}T235959`);
  const t = new Date(instantOf(endOfDay, a.zone));
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Reads an RRULE value into the editor's model, or null when the editor
 * cannot show it exactly (then it is edited as text).
 */
export function parseRRule(text: string, a: Anchor): Recurrence | null {
  const rule = text.trim().replace(/^RRULE:/i, '').replace(/;$/, '');
  if (!rule) return null;
  const kv = new Map<string, string>();
  for (const part of rule.split(';')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined || kv.has(k.toUpperCase())) return null;
    kv.set(k.toUpperCase(), v.toUpperCase());
  }
  const freq = kv.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY') return null;
  const r: Recurrence = { freq, interval: 1, byDay: [], monthly: 'day', end: { kind: 'never' } };
  kv.delete('FREQ');
  const interval = kv.get('INTERVAL');
  if (interval !== undefined) {
    if (!/^\d+$/.test(interval) || Number(interval) < 1) return null;
    r.interval = Number(interval);
    kv.delete('INTERVAL');
  }
  const count = kv.get('COUNT');
  const until = kv.get('UNTIL');
  if (count !== undefined && until !== undefined) return null;
  if (count !== undefined) {
    if (!/^\d+$/.test(count) || Number(count) < 1) return null;
    r.end = { kind: 'count', count: Number(count) };
    kv.delete('COUNT');
  }
  if (until !== undefined) {
    const date = untilDate(until, a);
    if (!date) return null;
    r.end = { kind: 'until', date, raw: until };
    kv.delete('UNTIL');
  }
  if (kv.get('WKST') === 'MO' || kv.get('WKST') === 'SU') kv.delete('WKST');
  const byDay = kv.get('BYDAY');
  const own = WEEKDAYS[weekdayOf(a.start)];
  switch (freq) {
    case 'WEEKLY': {
      if (byDay === undefined) {
        r.byDay = [own];
        break;
      }
      const days = byDay.split(',');
      if (!days.every((d): d is Weekday => (WEEKDAYS as readonly string[]).includes(d))) return null;
      r.byDay = WEEKDAYS.filter((d) => days.includes(d));
      kv.delete('BYDAY');
      break;
    }
    case 'MONTHLY':
    case 'YEARLY': {
      if (freq === 'YEARLY' && kv.has('BYMONTH')) {
        if (kv.get('BYMONTH') !== String(a.start.m) || byDay === undefined) return null;
        kv.delete('BYMONTH');
      }
      if (byDay === undefined) break;
      const m = /^(-1|[1-5])([A-Z]{2})$/.exec(byDay);
      if (!m || m[2] !== own) return null;
      const { n, last } = nthWeekday(a.start);
      if (!(Number(m[1]) === n || (m[1] === '-1' && last))) return null;
      r.monthly = 'weekday';
      kv.delete('BYDAY');
      break;
    }
  }
  const bmd = kv.get('BYMONTHDAY');
  if (bmd !== undefined && (freq === 'MONTHLY' || freq === 'YEARLY') && bmd === String(a.start.d) && r.monthly === 'day') {
    kv.delete('BYMONTHDAY');
  }
  return kv.size === 0 ? r : null;
}

/**
 * The last day an UNTIL value leaves an instance on, in the anchor's zone.
 * An instance on day D starts at D plus the start's time of day, so an
 * UNTIL earlier in its day than that time ends the series the day before:
 * a series split before its 10:00 instance of the 23rd ends at 09:59:59
 * that day, and its last day is the 22nd. Writing "the end of the 23rd"
 * back would bring that instance back (RFC 5545 §3.3.10: UNTIL is
 * inclusive).
 */
function untilDate(v: string, a: Anchor): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
  if (!m) return null;
  let w: Wall = {
    y: Number(m[1]), m: Number(m[2]), d: Number(m[3]),
    h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0), s: Number(m[6] ?? 0),
  };
  if (m[7] === 'Z' && a.zone) w = wallAt(Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s), a.zone);
  if (a.allDay || m[4] === undefined) return dateString(w);
  const timeOfDay = ((a.start.h * 60 + a.start.mi) * 60 + a.start.s) * 1000;
  return dateString(wallAt(Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - timeOfDay, 'UTC'));
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];
const ORDINALS = ['', 'first', 'second', 'third', 'fourth', 'fifth'];

/** A sentence for the rule, e.g. "Every 2 weeks on Monday and Friday, 10 times". */
export function describe(r: Recurrence, a: Anchor): string {
  const unit = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month', YEARLY: 'year' }[r.freq];
  let s = r.interval === 1
    ? { DAILY: 'Daily', WEEKLY: 'Weekly', MONTHLY: 'Monthly', YEARLY: 'Annually' }[r.freq]
    : `Every ${r.interval} ${unit}s`;
  if (r.freq === 'WEEKLY') {
    const names = WEEKDAYS.filter((d) => r.byDay.includes(d)).map((d) => DAY_NAMES[WEEKDAYS.indexOf(d)]);
    if (names.length === 5 && !r.byDay.includes('SA') && !r.byDay.includes('SU')) s += ' on weekdays';
    else if (names.length > 0) s += ' on ' + listJoin(names);
  }
  if (r.freq === 'MONTHLY' || r.freq === 'YEARLY') {
    const { n, last } = nthWeekday(a.start);
    const month = r.freq === 'YEARLY' ? ` of ${MONTH_NAMES[a.start.m - 1]}` : '';
    if (r.monthly === 'weekday') {
      s += ` on the ${last && n === 5 ? 'last' : ORDINALS[n]} ${DAY_NAMES[weekdayOf(a.start)]}${month}`;
    } else if (r.freq === 'YEARLY') {
      s += ` on ${MONTH_NAMES[a.start.m - 1]} ${a.start.d}`;
    } else {
      s += ` on day ${a.start.d}`;
    }
  }
  if (r.end.kind === 'count') s += r.end.count === 1 ? ', once' : `, ${r.end.count} times`;
  if (r.end.kind === 'until') s += `, until ${r.end.date}`;
  return s;
}

function listJoin(xs: string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** The RRULE line of an event's recurrence lines, if there is one. */
export function ruleOf(lines: string[] | undefined): string {
  for (const l of lines ?? []) {
    if (/^RRULE:/i.test(l)) return l.slice(6);
  }
  return '';
}

/** The recurrence lines with the RRULE replaced (or removed when rule is empty); RDATE and EXDATE stay. */
export function withRule(lines: string[] | undefined, rule: string): string[] {
  const rest = (lines ?? []).filter((l) => !/^RRULE:/i.test(l));
  return rule ? [`RRULE:${rule}`, ...rest] : rest;
}
