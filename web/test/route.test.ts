import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from '../src/route';

describe('routes', () => {
  it('read the view, the date and an event', () => {
    expect(parseRoute('/week/2026-03-02', '')).toEqual({ page: 'calendar', view: 'timeGridWeek', date: '2026-03-02' });
    expect(parseRoute('/3days/2026-03-02', '?event=abc_20260302T090000Z'))
      .toEqual({ page: 'calendar', view: 'timeGridThreeDay', date: '2026-03-02', event: 'abc_20260302T090000Z' });
    expect(parseRoute('/', '')).toEqual({ page: 'calendar' });
    expect(parseRoute('/nonsense/2026-13-45', '')).toEqual({ page: 'calendar' });
    expect(parseRoute('/month/2026-02-30x', '')).toEqual({ page: 'calendar', view: 'dayGridMonth' });
    expect(parseRoute('/search', '?q=team%20sync')).toEqual({ page: 'search', q: 'team sync' });
    expect(parseRoute('/settings', '')).toEqual({ page: 'settings' });
  });
  it('write back what they read', () => {
    for (const [path, query] of [['/week/2026-03-02', ''], ['/year/2026-01-01', ''], ['/day/2026-03-02', '?event=x_1'],
      ['/search', '?q=team+sync'], ['/settings', '']]) {
      expect(routePath(parseRoute(path, query))).toBe(path + query);
    }
  });
});
