// The change stream (GET /api/v1/stream, Server-Sent Events): changes made
// anywhere (another user, a CalDAV client, another tab) refetch what they
// touch; reminders become notifications. EventSource reconnects by itself
// and resumes with Last-Event-ID.

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
  summary?: string;
  description?: string;
  instance_start?: string;
  reminder?: { summary?: string; description?: string; instance_start?: string };
}

export class Stream {
  private es: EventSource;
  private shown = new Set<string>();

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
    if ('Notification' in window && Notification.permission === 'granted') {
      new Notification(title, { body, tag: key });
    }
    toast(`Reminder: ${title}${when ? ` at ${when}` : ''}`);
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
