// Undo for deletions and moves: the action that was done offers, for a
// few seconds, the action that reverses it (a toast's Undo button, or
// Ctrl+Z). Reversing goes through the API like any other change.

import type { CalEvent, EventRequest } from './api';
import { toast } from './dom';
import { errorText } from './errors';
import type { State } from './state';

let last: { run: () => Promise<void>; until: number; el: HTMLElement } | null = null;

/** Says what was done, with an Undo that runs undo. */
export function offerUndo(state: State, message: string, undo: () => Promise<void>): void {
  last?.el.remove(); // one offer at a time: the latest
  const run = async () => {
    last = null;
    try {
      await undo();
      toast('Undone.');
    } catch (err) {
      toast(errorText(err), 'error');
    }
    state.refetch();
  };
  const el = toast(message, 'info', { label: 'Undo', run: () => void run() });
  last = { run, until: Date.now() + 10000, el };
}

/** Runs the latest undo still on offer; false when there is none. */
export function undoLast(): boolean {
  if (!last || Date.now() > last.until) return false;
  const { run, el } = last;
  el.remove();
  void run();
  return true;
}

/** The request that makes an event like e again (a new one, with its own id). */
export function recreation(e: CalEvent): EventRequest {
  const req: EventRequest = {
    calendar_id: e.calendar_id, title: e.title, description: e.description, location: e.location,
    start: e.start, end: e.end, status: e.status || null, transparency: e.transparency || null,
    reminders: e.reminders,
  };
  if (e.recurrence?.length) req.recurrence = e.recurrence;
  if (e.attendees.length) req.attendees = e.attendees;
  return req;
}
