// The change stream (GET /api/v1/stream, Server-Sent Events): changes made
// anywhere (another user, a CalDAV client, another tab) refetch what they
// touch; reminders become notifications. EventSource reconnects by itself
// and resumes with Last-Event-ID: the server then sends the changes and the
// reminders that went out while the client was away.

import { OfflineError } from './api';
import { toast } from './dom';
import { clock, dayText } from './format';
import type { State } from './state';
import { wallAt } from './tz';

interface ChangeData {
  kind: string;
  calendar_id?: string;
  event_id?: string;
}

interface ReminderData {
  id?: string;
  event_id?: string;
  reminder_id?: string;
  trigger_at?: string;
  summary?: string;
  description?: string;
  instance_start?: string;
  reminder?: { summary?: string; description?: string; instance_start?: string };
}

/** A reminder on screen: its toast and notification, closed when it is dismissed anywhere. */
interface Shown {
  eventID: string;
  reminderID: string;
  triggerAt: string;
  toast: HTMLElement;
  note?: Notification;
}

/**
 * Whether a reminder that went out at triggerAt has been dismissed: its
 * acknowledgement (RFC 9074 ACKNOWLEDGED) is at or after it.
 */
export function dismissedSince(acknowledged: string | undefined, triggerAt: string | undefined): boolean {
  if (!acknowledged || !triggerAt) return false;
  const ack = Date.parse(acknowledged);
  const at = Date.parse(triggerAt);
  return !Number.isNaN(ack) && !Number.isNaN(at) && ack >= at;
}

export class Stream {
  private es: EventSource;
  private shown = new Set<string>();
  private open = new Map<string, Shown>();

  constructor(private st: State) {
    this.es = new EventSource('/api/v1/stream');
    this.es.addEventListener('change', (e) => this.change(parse(e)));
    this.es.addEventListener('access', () => void st.reloadCalendars());
    this.es.addEventListener('resync', (e) => {
      const d = parse(e);
      if (d.calendar_id) st.refetch(d.calendar_id);
      else void st.reloadCalendars().then(() => st.refetch());
    });
    this.es.addEventListener('reminder', (e) => this.reminder((e as MessageEvent).data as string));
    this.es.addEventListener('open', () => {
      document.body.classList.remove('offline');
      void st.api.replay();
    });
    this.es.addEventListener('error', () => document.body.classList.add('offline'));
  }

  private change(d: ChangeData): void {
    if (d.kind === 'calendar-updated' || d.kind === 'calendar-deleted') {
      void this.st.reloadCalendars();
      return;
    }
    if (d.calendar_id) this.st.refetch(d.calendar_id);
    if (d.event_id) void this.closeDismissed(d.event_id);
    // An invitation may have arrived or been answered.
    void this.st.refreshInvitations().catch(() => {});
  }

  private reminder(raw: string): void {
    let d: ReminderData;
    try {
      d = JSON.parse(raw) as ReminderData;
    } catch {
      return;
    }
    const r = d.reminder ?? d;
    const key = `${d.id ?? ''}/${r.instance_start ?? ''}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    const title = r.summary || 'Reminder';
    let when = '';
    if (r.instance_start) {
      const w = wallAt(Date.parse(r.instance_start), this.st.zone);
      when = `${dayText(w, this.st.now().getUTCFullYear())}, ${clock(w.h, w.mi, this.st.hour12)}`;
    }
    const body = [when, r.description].filter(Boolean).join('\n');
    let note: Notification | undefined;
    if ('Notification' in window && Notification.permission === 'granted') {
      note = new Notification(title, { body, tag: key });
    }
    const eventID = d.event_id ?? '';
    const reminderID = d.reminder_id ?? '';
    const dismiss = eventID && reminderID ? {
      label: 'Dismiss',
      run: () => {
        note?.close();
        this.open.delete(key);
        void this.st.api.dismissReminder(eventID, reminderID).catch((e: unknown) => {
          // A dismissal made offline is kept and sent when the server is back.
          if (!(e instanceof OfflineError && e.queued)) toast('The reminder could not be dismissed.', 'error');
        });
      },
    } : undefined;
    const t = toast(`Reminder: ${title}${when ? ` at ${when}` : ''}`, 'info', dismiss);
    if (eventID && reminderID) this.open.set(key, { eventID, reminderID, triggerAt: d.trigger_at ?? '', toast: t, note });
  }

  /**
   * Closes the reminders of an event that were dismissed on another
   * device: the change that dismissed them names the event.
   */
  private async closeDismissed(eventID: string): Promise<void> {
    for (const [key, s] of this.open) {
      if (s.eventID !== eventID) continue;
      if (!s.toast.isConnected) {
        this.open.delete(key);
        continue;
      }
      try {
        const r = await this.st.api.reminder(s.eventID, s.reminderID);
        if (!dismissedSince(r.acknowledged, s.triggerAt)) continue;
      } catch {
        continue; // the reminder or its event is gone, or the server is out of reach
      }
      s.note?.close();
      s.toast.remove();
      this.open.delete(key);
    }
  }

  close(): void {
    this.es.close();
  }
}

function parse(e: Event): ChangeData {
  try {
    return JSON.parse((e as MessageEvent).data as string) as ChangeData;
  } catch {
    return { kind: '' };
  }
}
