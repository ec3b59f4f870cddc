import { describe, expect, it } from 'vitest';
import type { Calendar, Invitation, ViewInstance } from '../src/api';
import { arrange, truncatedNote } from '../src/arrange';

const cal = (id: string, owner: string): Calendar => ({
  id, display_name: id, description: '', color: '', order: 0, time_zone: '', role: owner === 'bob' ? 'owner' : 'reader',
  owner: { id: owner, name: owner, display_name: owner, email: '' }, revision: 0, caldav_url: '', etag: '',
});
const inst = (event: string, title: string, start = '2027-03-10T16:00:00Z'): ViewInstance => ({
  id: event, event_id: event, title, start: start.slice(0, 19), end: start.slice(0, 19), start_utc: start, end_utc: start, all_day: false,
});
const inv = (event: string, status: string): Invitation => ({
  id: 'i' + event, event_id: event, email: 'bob@example.com', status, role: 'req-participant', organizer: 'mailto:alice@example.com', summary: '',
});

describe('arrange', () => {
  const mine = cal('bob-cal', 'bob');
  const alices = cal('alice-cal', 'alice');
  it('shows a meeting once when the organizer\'s calendar is shared too', () => {
    const out = arrange([
      { cal: alices, instances: [inst('a1', 'Planning'), inst('a2', 'Other')] },
      { cal: mine, instances: [inst('b1', 'Planning')] },
    ], [inv('b1', 'ACCEPTED')], 'bob');
    expect(out.map((s) => `${s.cal.id}/${s.inst.id}/${s.reply ?? ''}`)).toEqual(['bob-cal/b1/accepted', 'alice-cal/a2/']);
  });
  it('carries the answer, and keeps what is not the same meeting', () => {
    const out = arrange([
      { cal: alices, instances: [inst('a1', 'Planning', '2027-03-11T16:00:00Z')] },
      { cal: mine, instances: [inst('b1', 'Planning'), inst('b2', 'Lunch')] },
    ], [inv('b1', 'DECLINED'), inv('b2', 'NEEDS-ACTION')], 'bob');
    expect(out.map((s) => `${s.inst.id}/${s.reply ?? ''}`)).toEqual(['b1/declined', 'b2/needs-action', 'a1/']);
  });
});

describe('truncatedNote', () => {
  it('names the calendars whose series the server cut, and is empty otherwise', () => {
    const a = cal('Work', 'bob');
    const b = cal('Home', 'bob');
    const c = cal('Team', 'alice');
    expect(truncatedNote([{ cal: a, instances: [] }, { cal: b, instances: [], truncated: false }])).toBe('');
    expect(truncatedNote([{ cal: a, instances: [], truncated: true }, { cal: b, instances: [] }])).toContain('of Work repeat');
    expect(truncatedNote([a, b, c].map((x) => ({ cal: x, instances: [], truncated: true })))).toContain('of Work, Home and Team repeat');
  });
});
