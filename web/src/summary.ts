// Busy months and years are summarised before the grid draws them: a
// month cell shows its first few timed events and "+N more", a year cell
// only how many events the day has. The grid then lays out a few hundred
// elements at most, however full the calendar is (docs/benchmarks.md).

import { addDays } from './tz';

/** What summarising needs of an instance: local starts and ends, as the grid gets them. */
export interface Item {
  start: string; // YYYY-MM-DD (all day) or YYYY-MM-DDTHH:MM:SS
  end: string;
  allDay: boolean;
}

/** A day's overflow: how many of its events were left out. */
export interface More {
  date: string;
  count: number;
}

/** The days an item covers (an all-day end, or a midnight end, is exclusive). */
export function daysOf(it: Item): string[] {
  const first = it.start.slice(0, 10);
  let last = it.end.slice(0, 10);
  if (it.allDay || it.end.slice(11) === '00:00:00' || it.end.length === 10) {
    if (last > first) last = addDays(last, -1);
  }
  if (last < first) last = first;
  const out: string[] = [];
  for (let d = first; d <= last && out.length < 366; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * For a month: keeps every all-day or multi-day item and, on each day,
 * the first perDay timed ones by start; the rest become a More per day.
 */
export function summariseMonth<T extends Item>(items: T[], perDay: number): { keep: T[]; more: More[] } {
  const keep: T[] = [];
  const byDay = new Map<string, T[]>();
  for (const it of items) {
    const days = daysOf(it);
    if (it.allDay || days.length > 1) {
      keep.push(it);
      continue;
    }
    const list = byDay.get(days[0]);
    if (list) list.push(it);
    else byDay.set(days[0], [it]);
  }
  const more: More[] = [];
  for (const [date, list] of byDay) {
    if (list.length <= perDay) {
      keep.push(...list);
      continue;
    }
    list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? 1 : -1));
    keep.push(...list.slice(0, perDay - 1));
    more.push({ date, count: list.length - (perDay - 1) });
  }
  more.sort((a, b) => (a.date < b.date ? -1 : 1));
  return { keep, more };
}

/** For a year: how many items each day has. */
export function countByDay(items: Item[]): More[] {
  const n = new Map<string, number>();
  for (const it of items) for (const d of daysOf(it)) n.set(d, (n.get(d) ?? 0) + 1);
  return [...n].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([date, count]) => ({ date, count }));
}
