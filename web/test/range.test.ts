import { describe, expect, it } from 'vitest';
import { cover } from '../src/range';

describe('cover', () => {
  it('asks for a day, a week, a month or a year when that is what is shown', () => {
    expect(cover('2026-03-10', '2026-03-11', 1)).toEqual([{ type: 'day', date: '2026-03-10' }]);
    expect(cover('2026-03-09', '2026-03-16', 1)).toEqual([{ type: 'week', date: '2026-03-09' }]);
    expect(cover('2026-01-01', '2027-01-01', 1)).toEqual([{ type: 'year', date: '2026-01-01' }]);
  });
  it('covers a month grid with the month and the weeks around it', () => {
    // March 2026 with weeks from Monday: 23 February to 6 April.
    expect(cover('2026-02-23', '2026-04-06', 1)).toEqual([
      { type: 'week', date: '2026-02-23' },
      { type: 'month', date: '2026-03-01' },
      { type: 'week', date: '2026-03-30' },
    ]);
    // With weeks from Sunday: 1 March is a Sunday, the grid runs to 12 April.
    expect(cover('2026-03-01', '2026-04-12', 0)).toEqual([
      { type: 'month', date: '2026-03-01' },
      { type: 'week', date: '2026-03-29' },
      { type: 'week', date: '2026-04-05' },
    ]);
  });
  it('keeps a lone day as a day', () => {
    expect(cover('2026-03-31', '2026-05-01', 1)).toEqual([
      { type: 'day', date: '2026-03-31' },
      { type: 'month', date: '2026-04-01' },
    ]);
  });
});
