import { describe, expect, it } from 'vitest';
import type { Invitation, Proposal } from '../src/api';
import { guestComments, pendingProposals, proposalText } from '../src/proposals';

const base: Proposal = {
  id: 'p1', event_id: 'e1', email: 'carol@example.net', name: 'Carol', start: '2026-01-05T14:00:00Z', end: '2026-01-05T15:00:00Z',
  status: 'pending', received_at: '2026-01-02T10:00:00Z',
};

describe('proposals', () => {
  it('say who proposes which time, in the viewer’s zone', () => {
    expect(proposalText(base, 'Europe/Berlin', false, 2026, 'en-US')).toBe('Carol proposes a new time: Mon, Jan 5, 15:00 – 16:00');
    expect(proposalText({ ...base, name: undefined }, 'America/New_York', true, 2026, 'en-US'))
      .toBe('carol@example.net proposes a new time: Mon, Jan 5, 9:00 – 10:00 AM');
  });
  it('name the days of an all-day proposal', () => {
    const p = { ...base, all_day: true, start: '2026-01-07T00:00:00Z', end: '2026-01-08T00:00:00Z' };
    expect(proposalText(p, 'Pacific/Auckland', false, 2026, 'en-US')).toBe('Carol proposes a new time: Wed, Jan 7');
  });
  it('keep those still to answer, oldest first', () => {
    const list: Proposal[] = [
      { ...base, id: 'b', received_at: '2026-01-03T00:00:00Z' },
      { ...base, id: 'a', received_at: '2026-01-01T00:00:00Z' },
      { ...base, id: 'c', status: 'declined' },
    ];
    expect(pendingProposals(list).map((p) => p.id)).toEqual(['a', 'b']);
  });
});

describe('guest comments', () => {
  it('are found by address', () => {
    const inv = (email: string, comment?: string): Invitation =>
      ({ id: email, event_id: 'e1', email, status: 'ACCEPTED', role: 'REQ-PARTICIPANT', organizer: 'a@x', summary: 's', comment });
    const m = guestComments([inv('Carol@Example.net', 'See you'), inv('dave@example.net')]);
    expect(m.get('carol@example.net')).toBe('See you');
    expect(m.has('dave@example.net')).toBe(false);
  });
});
