import { describe, expect, it } from 'vitest';
import { countByDay, daysOf, summariseMonth } from '../src/summary';

const timed = (d: string, h: number, title = '') => ({ start: `${d}T${String(h).padStart(2, '0')}:00:00`, end: `${d}T${String(h).padStart(2, '0')}:30:00`, allDay: false, title });

describe('daysOf', () => {
  it('treats all-day and midnight ends as exclusive', () => {
    expect(daysOf({ start: '2026-03-01', end: '2026-03-02', allDay: true })).toEqual(['2026-03-01']);
    expect(daysOf({ start: '2026-03-01', end: '2026-03-04', allDay: true })).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(daysOf({ start: '2026-03-01T22:00:00', end: '2026-03-02T00:00:00', allDay: false })).toEqual(['2026-03-01']);
    expect(daysOf({ start: '2026-03-01T22:00:00', end: '2026-03-02T01:00:00', allDay: false })).toEqual(['2026-03-01', '2026-03-02']);
    expect(daysOf({ start: '2026-03-01T10:00:00', end: '2026-03-01T10:00:00', allDay: false })).toEqual(['2026-03-01']);
  });
});

describe('summariseMonth', () => {
  it('keeps days that fit as they are', () => {
    const items = [timed('2026-03-02', 9), timed('2026-03-02', 10), timed('2026-03-03', 9)];
    const { keep, more } = summariseMonth(items, 4);
    expect(keep).toHaveLength(3);
    expect(more).toEqual([]);
  });
  it('keeps the earliest of a full day and counts the rest', () => {
    const items = [14, 9, 12, 8, 10, 11].map((h) => timed('2026-03-02', h, `at ${h}`));
    items.push({ start: '2026-03-01', end: '2026-03-05', allDay: true, title: 'trip' });
    const { keep, more } = summariseMonth(items, 4);
    expect(keep.map((k) => k.title).sort()).toEqual(['at 10', 'at 8', 'at 9', 'trip']);
    expect(more).toEqual([{ date: '2026-03-02', count: 3 }]);
  });
});

describe('countByDay', () => {
  it('counts each day an item covers', () => {
    expect(countByDay([timed('2026-03-02', 9), timed('2026-03-02', 10), { start: '2026-03-02', end: '2026-03-04', allDay: true }]))
      .toEqual([{ date: '2026-03-02', count: 3 }, { date: '2026-03-03', count: 1 }]);
  });
});
