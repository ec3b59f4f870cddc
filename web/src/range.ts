// Covering a visible date range with the periods the view endpoint
// answers (GET /calendars/{id}/view: a day, a week, a month or a year).

import { addDays, parseWall, wallMs } from './tz';

export type PeriodType = 'day' | 'week' | 'month' | 'year';

export interface Period {
  type: PeriodType;
  date: string; // the period's first day, YYYY-MM-DD
}

function weekday(date: string): number {
  const w = parseWall(date);
  if (!w) throw new Error(`not a date: ${date}`);
  return new Date(wallMs(w)).getUTCDay();
}

function nextMonth(date: string): string {
  const [y, m] = date.split('-').map(Number);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/**
 * Few periods, largest first, that together cover the days from start to
 * end (exclusive), both YYYY-MM-DD, with weeks beginning on weekStart
 * (0 = Sunday): the whole years and months inside the range, and weeks
 * (or a lone day) for the days before and after them. The periods may
 * reach past the range; the instances there are simply not drawn.
 */
export function cover(start: string, end: string, weekStart: number): Period[] {
  let first = start.endsWith('-01') ? start : nextMonth(start);
  const months: string[] = [];
  for (let m = first; nextMonth(m) <= end; m = nextMonth(m)) months.push(m);
  if (months.length === 0) return gap(start, end, weekStart);
  first = months[0];
  const after = nextMonth(months[months.length - 1]);
  const out = gap(start, first, weekStart);
  for (let i = 0; i < months.length; ) {
    if (months[i].endsWith('-01-01') && i + 12 <= months.length) {
      out.push({ type: 'year', date: months[i] });
      i += 12;
    } else {
      out.push({ type: 'month', date: months[i++] });
    }
  }
  return out.concat(gap(after, end, weekStart));
}

/** Weeks covering the days from start to end, or the day when it is one. */
function gap(start: string, end: string, weekStart: number): Period[] {
  if (start >= end) return [];
  if (addDays(start, 1) === end) return [{ type: 'day', date: start }];
  const out: Period[] = [];
  let d = addDays(start, -((weekday(start) - weekStart + 7) % 7));
  for (; d < end; d = addDays(d, 7)) out.push({ type: 'week', date: d });
  return out;
}
