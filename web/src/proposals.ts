// New times guests proposed for the user's events (COUNTER, RFC 5546
// §3.2.7), as the event dialog shows them to the organizer, and the
// comments guests left with their answers.
import type { Invitation, Proposal } from './api';
import { spanText } from './format';
import { localString, wallAt } from './tz';

/** Who proposed it: their name, else their address. */
export function proposer(p: Proposal): string {
  return p.name || p.email;
}

/**
 * "Carol proposes a new time: Mon, Jan 5, 3:00 – 4:00 PM", in the viewer's
 * zone (an all-day proposal by its dates).
 */
export function proposalText(p: Proposal, zone: string, hour12: boolean, thisYear: number, locale?: string): string {
  const start = Date.parse(p.start);
  const end = p.end ? Date.parse(p.end) : start;
  if (Number.isNaN(start) || Number.isNaN(end)) return `${proposer(p)} proposes a new time.`;
  const when = p.all_day
    ? spanText(p.start.slice(0, 10), (p.end ?? p.start).slice(0, 10), true, hour12, thisYear, locale)
    : spanText(localString(wallAt(start, zone)), localString(wallAt(end, zone)), false, hour12, thisYear, locale);
  return `${proposer(p)} proposes a new time: ${when}`;
}

/** The pending proposals, oldest first: those the organizer has to answer. */
export function pendingProposals(list: Proposal[]): Proposal[] {
  return list.filter((p) => p.status === 'pending').sort((a, b) => a.received_at.localeCompare(b.received_at));
}

/** The guests' comments by address (lower case), from the event's invitations. */
export function guestComments(list: Invitation[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of list) if (i.comment) out.set(i.email.toLowerCase(), i.comment);
  return out;
}
