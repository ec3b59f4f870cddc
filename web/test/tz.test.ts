import { describe, expect, it } from 'vitest';
import { addDays, convertWall, instantOf, localString, offsetAt, parseWall, wallAt, offsetLabel } from '../src/tz';

const iso = (ms: number) => new Date(ms).toISOString();

describe('wallAt and offsetAt', () => {
  it('reads the wall clock of an instant in a zone', () => {
    const t = Date.UTC(2026, 2, 29, 12, 0, 0);
    expect(localString(wallAt(t, 'Europe/Berlin'))).toBe('2026-03-29T14:00:00');
    expect(localString(wallAt(t, 'America/New_York'))).toBe('2026-03-29T08:00:00');
    expect(localString(wallAt(t, 'Asia/Kolkata'))).toBe('2026-03-29T17:30:00');
  });
  it('knows the offset on both sides of a transition', () => {
    expect(offsetAt(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Berlin')).toBe(60);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Berlin')).toBe(120);
    expect(offsetAt(Date.UTC(2026, 0, 1), 'Asia/Kathmandu')).toBe(345);
    expect(offsetAt(Date.UTC(2026, 0, 1), 'UTC')).toBe(0);
  });
});

describe('instantOf', () => {
  it('finds the instant of an ordinary wall clock', () => {
    const w = parseWall('2026-07-01T09:30:00')!;
    expect(iso(instantOf(w, 'Europe/Berlin'))).toBe('2026-07-01T07:30:00.000Z');
    expect(iso(instantOf(w, 'America/Los_Angeles'))).toBe('2026-07-01T16:30:00.000Z');
  });
  it('moves a time in the spring-forward gap forward by the gap (RFC 5545 §3.3.5)', () => {
    // Berlin skips from 02:00 to 03:00 on 29 March 2026: 02:30 is 03:30 CEST.
    const t = instantOf(parseWall('2026-03-29T02:30:00')!, 'Europe/Berlin');
    expect(iso(t)).toBe('2026-03-29T01:30:00.000Z');
    expect(localString(wallAt(t, 'Europe/Berlin'))).toBe('2026-03-29T03:30:00');
    // New York skips from 02:00 to 03:00 on 8 March 2026.
    const ny = instantOf(parseWall('2026-03-08T02:15:00')!, 'America/New_York');
    expect(localString(wallAt(ny, 'America/New_York'))).toBe('2026-03-08T03:15:00');
  });
  it('takes the first occurrence of a wall clock that happens twice', () => {
    // Berlin goes back from 03:00 CEST to 02:00 CET on 25 October 2026.
    const t = instantOf(parseWall('2026-10-25T02:30:00')!, 'Europe/Berlin');
    expect(iso(t)).toBe('2026-10-25T00:30:00.000Z');
  });
  it('round-trips every hour of a year in a zone with DST', () => {
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3600000) {
      expect(instantOf(wallAt(t, 'Australia/Lord_Howe'), 'Australia/Lord_Howe') <= t).toBe(true);
      const w = wallAt(t, 'America/Sao_Paulo');
      expect(instantOf(w, 'America/Sao_Paulo')).toBe(t);
    }
  });
});

describe('convertWall and dates', () => {
  it('converts a wall clock between zones', () => {
    const d = new Date(Date.UTC(2026, 5, 15, 9, 0));
    expect(convertWall(d, 'Europe/London', 'Asia/Tokyo').toISOString()).toBe('2026-06-15T17:00:00.000Z');
    expect(convertWall(d, 'UTC', 'UTC').getTime()).toBe(d.getTime());
  });
  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
  });
  it('labels offsets', () => {
    expect(offsetLabel(330)).toBe('UTC+05:30');
    expect(offsetLabel(-210)).toBe('UTC−03:30');
  });
  it('parses dates and date-times, ignoring offsets', () => {
    expect(parseWall('2026-03-02T09:15:00+01:00')).toEqual({ y: 2026, m: 3, d: 2, h: 9, mi: 15, s: 0 });
    expect(parseWall('2026-03-02')).toEqual({ y: 2026, m: 3, d: 2, h: 0, mi: 0, s: 0 });
    expect(parseWall('tomorrow')).toBeNull();
  });
});
