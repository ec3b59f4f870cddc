// Time-zone arithmetic on top of Intl, without a library: wall clocks of
// an instant in a named zone, and the instant of a wall clock.
//
// The calendar grid runs in "UTC-coerced" mode: a Date whose UTC fields
// are the viewer's wall clock. These helpers convert between such wall
// clocks and real instants.

/** A wall-clock time: calendar fields without a zone. Month is 1–12. */
export interface Wall {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Reports whether zone is a time zone name this browser knows. */
export function isZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in zone at the instant ms (milliseconds since the epoch). */
export function wallAt(ms: number, zone: string): Wall {
  const w: Wall = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 };
  let bc = false;
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    const n = Number(p.value);
    switch (p.type) {
      case 'year': w.y = n; break;
      case 'month': w.m = n; break;
      case 'day': w.d = n; break;
      case 'hour': w.h = n; break;
      case 'minute': w.mi = n; break;
      case 'second': w.s = n; break;
      case 'era': bc = p.value.startsWith('B'); break;
    }
  }
  if (bc) w.y = 1 - w.y;
  return w;
}

/** The wall clock as milliseconds, read as if it were UTC. */
export function wallMs(w: Wall): number {
  const t = new Date(0);
  t.setUTCFullYear(w.y, w.m - 1, w.d);
  t.setUTCHours(w.h, w.mi, w.s, 0);
  return t.getTime();
}

/** The wall clock of a UTC-coerced Date. */
export function wallOf(d: Date): Wall {
  return {
    y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(),
    h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(),
  };
}

/** The UTC offset of zone at the instant ms, in minutes east of UTC. */
export function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((wallMs(wallAt(whole, zone)) - whole) / 60000);
}

/**
 * The instant of the wall clock w in zone. A wall clock that happens twice
 * (when clocks go back) is its first occurrence; one that never happens
 * (in the gap when clocks go forward) moves forward by the gap, as
 * RFC 5545 §3.3.5 asks: 02:30 on a day that skips from 02:00 to 03:00 is
 * 03:30.
 */
export function instantOf(w: Wall, zone: string): number {
  const local = wallMs(w);
  const day = 86400000;
  const before = offsetAt(local - day, zone);
  const offsets = new Set([before, offsetAt(local, zone), offsetAt(local + day, zone)]);
  let best: number | undefined;
  for (const o of offsets) {
    const t = local - o * 60000;
    if (wallMs(wallAt(t, zone)) === local && (best === undefined || t < best)) best = t;
  }
  return best ?? local - before * 60000;
}

/** Converts a UTC-coerced wall clock in zone `from` to one in zone `to`. */
export function convertWall(d: Date, from: string, to: string): Date {
  if (from === to) return new Date(d.getTime());
  return new Date(wallMs(wallAt(instantOf(wallOf(d), from), to)));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** YYYY-MM-DD of a wall clock. */
export function dateString(w: Wall): string {
  return `${pad(w.y, 4)}-${pad(w.m)}-${pad(w.d)}`;
}

/** YYYY-MM-DDTHH:MM:SS of a wall clock. */
export function localString(w: Wall): string {
  return `${dateString(w)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
}

/** Parses YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (any offset is ignored). */
export function parseWall(s: string): Wall | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(s);
  if (!m) return null;
  return {
    y: Number(m[1]), m: Number(m[2]), d: Number(m[3]),
    h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0), s: Number(m[6] ?? 0),
  };
}

/** Adds days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const w = parseWall(date);
  if (!w) throw new Error(`not a date: ${date}`);
  const t = new Date(wallMs(w) + days * 86400000);
  return dateString(wallOf(t));
}

/** The browser's own time zone. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every zone name the browser knows, UTC first. */
export function zoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const names = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...names.filter((n) => n !== 'UTC')];
}

/** "UTC+05:30" for an offset in minutes. */
export function offsetLabel(minutes: number): string {
  const sign = minutes < 0 ? '−' : '+';
  const a = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
