// Times and dates as people read them: 12- or 24-hour from the browser's
// locale (or the user's choice), the same in the grid, the lists and the
// dialogs. "8:00 – 12:00" for an evening event is ambiguous on a 12-hour
// clock, so a 12-hour range always says AM or PM.

import { parseWall, type Wall } from './tz';

/** The user's choice: the locale's clock, or one of the two. */
export type HourPref = 'auto' | '12' | '24';

const hourCycles = new Map<string, boolean>();

/** Whether the locale writes times on a 12-hour clock. */
export function localeHour12(locale?: string): boolean {
  const key = locale ?? '';
  let h12 = hourCycles.get(key);
  if (h12 === undefined) {
    const hc = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle;
    h12 = hc === 'h12' || hc === 'h11';
    hourCycles.set(key, h12);
  }
  return h12;
}

export function hour12For(pref: HourPref, locale?: string): boolean {
  return pref === 'auto' ? localeHour12(locale) : pref === '12';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "9:00 AM", "12:30 PM" or "09:00", "21:30"; meridiem false leaves AM/PM out. */
export function clock(h: number, mi: number, hour12: boolean, meridiem = true): string {
  if (!hour12) return `${pad(h)}:${pad(mi)}`;
  const t = `${h % 12 === 0 ? 12 : h % 12}:${pad(mi)}`;
  return meridiem ? `${t} ${h < 12 ? 'AM' : 'PM'}` : t;
}

/** A short label for an hour line of the grid: "9 AM", "09:00". */
export function hourLabel(h: number, mi: number, hour12: boolean): string {
  if (!hour12) return clock(h, mi, false);
  return `${h % 12 === 0 ? 12 : h % 12}${mi ? `:${pad(mi)}` : ''} ${h < 12 ? 'AM' : 'PM'}`;
}

/**
 * A span of two wall clocks: "9:00 – 10:30 AM" (one AM/PM when both
 * share it), "11:00 AM – 12:30 PM", "20:00 – 22:00". With the end on
 * another day, that day's date is not repeated here; see spanText.
 */
export function clockRange(a: Pick<Wall, 'h' | 'mi'>, b: Pick<Wall, 'h' | 'mi'>, hour12: boolean): string {
  if (!hour12) return `${clock(a.h, a.mi, false)} – ${clock(b.h, b.mi, false)}`;
  const same = (a.h < 12) === (b.h < 12);
  return `${clock(a.h, a.mi, true, !same)} – ${clock(b.h, b.mi, true)}`;
}

/** "Tue, Mar 2" (with the year when it is not this year's). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function dayText(w: Pick<Wall, 'y' | 'm' | 'd'>, thisYear: number, locale?: string): string {
  const year = w.y !== thisYear;
  const key = `${locale ?? ''}/${year}`;
  let f = dayFormats.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' };
    if (year) opts.year = 'numeric';
    dayFormats.set(key, (f = new Intl.DateTimeFormat(locale, opts)));
  }
  return f.format(new Date(Date.UTC(w.y, w.m - 1, w.d)));
}

/**
 * When an instance happens, from its wall clocks in the viewer's zone
 * (YYYY-MM-DD for all-day, YYYY-MM-DDTHH:MM:SS otherwise, all-day ends
 * exclusive): "Tue, Mar 2, 9:00 – 10:00 AM", "Tue, Mar 2 – Thu, Mar 4",
 * "Tue, Mar 2, 10:00 PM – Wed, Mar 3, 1:00 AM".
 */
export function spanText(start: string, end: string, allDay: boolean, hour12: boolean, thisYear: number, locale?: string): string {
  const s = parseWall(start);
  const e = parseWall(end);
  if (!s || !e) return '';
  if (allDay) {
    const last = new Date(Date.UTC(e.y, e.m - 1, e.d) - 86400000);
    const l = { y: last.getUTCFullYear(), m: last.getUTCMonth() + 1, d: last.getUTCDate() };
    const first = dayText(s, thisYear, locale);
    return l.y === s.y && l.m === s.m && l.d === s.d ? first : `${first} – ${dayText(l, thisYear, locale)}`;
  }
  const sameDay = s.y === e.y && s.m === e.m && s.d === e.d;
  if (sameDay) return `${dayText(s, thisYear, locale)}, ${clockRange(s, e, hour12)}`;
  return `${dayText(s, thisYear, locale)}, ${clock(s.h, s.mi, hour12)} – ${dayText(e, thisYear, locale)}, ${clock(e.h, e.mi, hour12)}`;
}

/** A compact time for a line in a month: "10am", "9:30pm", or "10:00", "21:30". */
export function shortClock(h: number, mi: number, hour12: boolean): string {
  if (!hour12) return clock(h, mi, false);
  return `${h % 12 === 0 ? 12 : h % 12}${mi ? `:${pad(mi)}` : ''}${h < 12 ? 'am' : 'pm'}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A short name for the period a view shows, for a phone's top bar: "Mar 2027"
 * for a month, "2027" for a year, "Mar 10" for a day, "Mar 10 – 12",
 * "Mar 29 – Apr 2" for a few days; the year only when it is not this one.
 * end is exclusive; all are YYYY-MM-DD.
 */
export function shortPeriod(start: string, end: string, kind: 'day' | 'days' | 'month' | 'year', thisYear: number): string {
  const s = parseWall(start);
  const e0 = parseWall(end);
  if (!s || !e0) return '';
  const last = new Date(Date.UTC(e0.y, e0.m - 1, e0.d) - 86400000);
  const e = { y: last.getUTCFullYear(), m: last.getUTCMonth() + 1, d: last.getUTCDate() };
  if (kind === 'year') return String(s.y);
  if (kind === 'month') return `${MONTHS[s.m - 1]} ${s.y}`;
  const year = s.y === thisYear && e.y === thisYear ? '' : ` ${e.y}`;
  if (kind === 'day' || (s.m === e.m && s.d === e.d && s.y === e.y)) return `${MONTHS[s.m - 1]} ${s.d}${year}`;
  if (s.m === e.m && s.y === e.y) return `${MONTHS[s.m - 1]} ${s.d} – ${e.d}${year}`;
  return `${MONTHS[s.m - 1]} ${s.d} – ${MONTHS[e.m - 1]} ${e.d}${year}`;
}
