// What the grid shows of the instances the calendars answered: an event
// the user was invited to appears once, although the organizer's
// calendar, shared with the user, holds it too; and it carries the
// user's answer, so that a declined event looks declined.

import type { Calendar, Invitation, ViewInstance } from './api';

export interface Loaded {
  cal: Calendar;
  instances: ViewInstance[];
  /** The server cut a series of this calendar in the range (View.truncated). */
  truncated?: boolean;
}

/**
 * The note above the grid when the server cut a series of some calendars
 * shown (a series with more instances in the range than one request
 * gives), or '' when nothing was cut.
 */
export function truncatedNote(loaded: Loaded[]): string {
  const names = loaded.filter((l) => l.truncated).map((l) => l.cal.display_name);
  if (names.length === 0) return '';
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `Some events of ${list} repeat too often to show in full here; only their first occurrences are shown.`;
}

export interface Shown {
  inst: ViewInstance;
  cal: Calendar;
  /** The user's answer when invited: accepted, declined, tentative or needs-action. */
  reply?: string;
}

/** The user's answer to each event they were invited to, by their copy's event id. */
export function replies(invitations: Invitation[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of invitations) {
    const s = i.status.toLowerCase();
    out.set(i.event_id, s === 'pending' ? 'needs-action' : s);
  }
  return out;
}

const key = (i: ViewInstance) => `${i.title ?? ''}\u0000${i.start_utc}\u0000${i.end_utc}`;

/**
 * The instances to draw, calendar by calendar. An instance of a calendar
 * someone else owns is left out when the user's own copy of the same
 * meeting (an invitation: same title and times) is shown.
 */
export function arrange(loaded: Loaded[], invitations: Invitation[], me: string): Shown[] {
  const answer = replies(invitations);
  const mine = new Set<string>();
  const out: Shown[] = [];
  for (const { cal, instances } of loaded) {
    if (cal.owner.id !== me) continue;
    for (const inst of instances) {
      const reply = inst.event_id ? answer.get(inst.event_id) : undefined;
      if (reply) mine.add(key(inst));
      out.push(reply ? { inst, cal, reply } : { inst, cal });
    }
  }
  for (const { cal, instances } of loaded) {
    if (cal.owner.id === me) continue;
    for (const inst of instances) {
      if (!mine.has(key(inst))) out.push({ inst, cal });
    }
  }
  return out;
}
