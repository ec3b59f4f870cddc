// The JSON API client: fetch with the session cookie, the CSRF header on
// writes, and RFC 9457 problem documents turned into ApiError.

export interface User {
  id: string;
  name: string;
  email: string;
  display_name: string;
  time_zone: string;
  week_start: number;
  /** Whose invitations go straight into the calendar; the others wait in the inbox. */
  invitations?: InvitationsSetting;
}

export type InvitationsSetting = 'known' | 'everyone';

export interface UserRef {
  id: string;
  name: string;
  display_name: string;
  email: string;
}

export type Role = 'freebusy' | 'reader' | 'writer' | 'owner';

export interface Calendar {
  id: string;
  display_name: string;
  description: string;
  color: string;
  order: number;
  time_zone: string;
  role: Role;
  owner: UserRef;
  revision: number;
  caldav_url: string;
  components?: string[];
  /** ics or caldav for a calendar fed from elsewhere (read-only). */
  source?: string;
  etag: string;
}

export interface Collaborator {
  user: UserRef;
  role: Role;
  owner: boolean;
}

export interface EventTime {
  date?: string;
  date_time?: string;
  time_zone?: string;
  floating?: boolean;
}

export interface Person {
  email?: string;
  uri?: string;
  name?: string;
}

export interface Attendee extends Person {
  role?: string;
  status?: string;
  rsvp?: boolean;
  type?: string;
}

export interface Reminder {
  method: string;
  minutes?: number;
  relative_to?: 'start' | 'end';
  at?: string;
}

export interface CalEvent {
  id: string;
  calendar_id: string;
  uid: string;
  etag: string;
  title: string;
  description: string;
  location: string;
  start: EventTime;
  end: EventTime;
  all_day: boolean;
  status: string;
  transparency: string;
  color?: string;
  recurrence?: string[];
  recurring_event_id?: string;
  original_start?: EventTime;
  organizer?: Person;
  attendees: Attendee[];
  reminders: Reminder[];
  sequence: number;
}

export interface EventRequest {
  calendar_id?: string;
  title?: string | null;
  description?: string | null;
  location?: string | null;
  start?: EventTime | null;
  end?: EventTime | null;
  status?: string | null;
  transparency?: string | null;
  recurrence?: string[] | null;
  attendees?: Attendee[] | null;
  reminders?: Reminder[] | null;
}

export interface ViewInstance {
  id?: string;
  event_id?: string;
  title?: string;
  location?: string;
  color?: string;
  start: string;
  end: string;
  start_utc: string;
  end_utc: string;
  all_day: boolean;
  status?: string;
  transparency?: string;
  recurring?: boolean;
  override?: boolean;
  /** Set on the instances of a series the server cut: it had more in the period than one request gives. */
  truncated?: boolean;
  busy?: string;
}

export interface View {
  calendar_id: string;
  view_type: string;
  date: string;
  time_zone: string;
  start: string;
  end: string;
  role: Role;
  color: string;
  /** Set when a series had more instances in the period than one request gives: the first ones are here. */
  truncated?: boolean;
  instances: ViewInstance[];
}

export interface Invitation {
  id: string;
  event_id: string;
  email: string;
  name?: string;
  user?: UserRef;
  status: string;
  role: string;
  organizer: string;
  summary: string;
  start?: string;
  all_day?: boolean;
  /** The COMMENT of the guest's latest reply, for the organizer. */
  comment?: string;
  /** From someone new: not in the calendar until accepted. */
  held?: boolean;
}

/** A new time a guest proposed for one of the user's events (COUNTER). */
export interface Proposal {
  id: string;
  event_id: string;
  email: string;
  name?: string;
  recurrence_id?: string;
  start: string;
  end?: string;
  all_day?: boolean;
  comment?: string;
  status: 'pending' | 'accepted' | 'declined';
  received_at: string;
}

export type Scope = 'this' | 'following' | 'all';

export interface AppPassword {
  name: string;
  secret?: string;
  created_at: string;
  last_used_at?: string;
}

/** A reminder as /reminders/{event}/{id} answers it. */
export interface ReminderState {
  id: string;
  event_id: string;
  acknowledged?: string;
  snooze_of?: string;
  next_trigger_at?: string;
}

export interface DefaultReminder {
  method: string;
  minutes: number;
}

export interface ReminderSettings {
  default_reminders?: DefaultReminder[];
  webhook_url?: string;
}

export interface ImportReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: { uid?: string; line: number; precondition?: string; message: string }[];
  warnings: string[] | null;
}

export interface Publication {
  level: 'busy' | 'titles' | 'full';
  url: string;
  webcal_url: string;
}

export interface EventList {
  items: CalEvent[];
}

/** A write kept while the server could not be reached, sent again later. */
export interface QueuedWrite {
  method: string;
  path: string;
  body?: unknown;
  headers: Record<string, string>;
  label: string;
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** A request that never reached the server; a write named by a label is kept and sent again. */
export class OfflineError extends Error {
  constructor(readonly queued: boolean) {
    super(queued ? 'Can’t reach the server — your change will be retried.' : 'Can’t reach the server. Check your connection.');
  }
}

const CSRF_KEY = 'almanac.csrf';
const QUEUE_KEY = 'almanac.queue';

/** The API under /api/v1 of the page's own origin. */
export class Api {
  private csrf = localStorage.getItem(CSRF_KEY) ?? '';
  /** Called when the session has ended (401 on any request). */
  onSignedOut: () => void = () => {};
  /** Called when a queued write was sent again: err is null when it was saved. */
  onReplayed: (w: QueuedWrite, err: unknown) => void = () => {};
  private queue: QueuedWrite[] = JSON.parse(localStorage.getItem(QUEUE_KEY) ?? '[]') as QueuedWrite[];
  private retry = 0;

  /** Writes waiting for the server. */
  pending(): number {
    return this.queue.length;
  }

  hasSession(): boolean {
    return this.csrf !== '';
  }

  /**
   * Sends a request. A write named by label that cannot reach the server
   * is kept (in local storage, so that a reload keeps it too) and sent
   * again until the server answers; the caller gets an OfflineError.
   */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, label = ''): Promise<T> {
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (body !== undefined && !(body instanceof FormData)) h['Content-Type'] = 'application/json';
    if (method !== 'GET' && this.csrf) h['X-CSRF-Token'] = this.csrf;
    let resp: Response;
    try {
      resp = await fetch('/api/v1' + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      if (label && method !== 'GET') {
        this.queue.push({ method, path, body, headers, label });
        this.saveQueue();
        return Promise.reject(new OfflineError(true));
      }
      throw new OfflineError(false);
    }
    if (resp.status === 204) return undefined as T;
    const text = await resp.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    if (!resp.ok) {
      const p = (data ?? {}) as { type?: string; title?: string; detail?: string; errors?: { field: string; message: string }[] };
      const kind = (p.type ?? '').split('/').pop() ?? '';
      const err = new ApiError(resp.status, kind, p.detail || p.title || `${resp.status} ${resp.statusText}`, p.errors ?? []);
      if (resp.status === 401 && !path.startsWith('/users/login')) this.onSignedOut();
      throw err;
    }
    return data as T;
  }

  private saveQueue(): void {
    if (this.queue.length === 0) localStorage.removeItem(QUEUE_KEY);
    else localStorage.setItem(QUEUE_KEY, JSON.stringify(this.queue));
    if (this.queue.length > 0 && !this.retry) {
      this.retry = window.setTimeout(() => { this.retry = 0; void this.replay(); }, 3000);
    }
  }

  /**
   * Sends the queued writes again, in order, until one cannot reach the
   * server; one replay at a time, so that none is sent twice.
   */
  replay(): Promise<void> {
    this.replaying ??= this.sendQueued().finally(() => { this.replaying = null; });
    return this.replaying;
  }

  private replaying: Promise<void> | null = null;

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const w = this.queue[0];
      let err: unknown = null;
      try {
        await this.request(w.method, w.path, w.body, w.headers);
      } catch (e) {
        if (e instanceof OfflineError) {
          this.saveQueue();
          return;
        }
        err = e;
      }
      this.queue.shift();
      this.saveQueue();
      this.onReplayed(w, err);
    }
  }

  async login(login: string, password: string): Promise<User> {
    const r = await this.request<{ csrf_token: string; user: User }>('POST', '/users/login', { login, password });
    this.csrf = r.csrf_token;
    localStorage.setItem(CSRF_KEY, this.csrf);
    return r.user;
  }

  register(name: string, email: string, password: string, time_zone: string): Promise<User> {
    return this.request('POST', '/users/register', { name, email, password, time_zone, display_name: name });
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', '/users/logout');
    } finally {
      this.forget();
    }
  }

  forget(): void {
    this.csrf = '';
    localStorage.removeItem(CSRF_KEY);
    this.queue = [];
    localStorage.removeItem(QUEUE_KEY);
  }

  me(): Promise<User> {
    return this.request('GET', '/users/me');
  }
  updateMe(id: string, u: Partial<User> & { password?: string; current_password?: string }): Promise<User> {
    return this.request('PATCH', `/users/${id}`, u);
  }

  calendars(): Promise<Calendar[]> {
    return this.request<Calendar[] | { items: Calendar[] }>('GET', '/calendars').then((r) => (Array.isArray(r) ? r : r.items));
  }
  createCalendar(c: Partial<Calendar>): Promise<Calendar> {
    return this.request('POST', '/calendars', c);
  }
  updateCalendar(id: string, c: Partial<Calendar>): Promise<Calendar> {
    return this.request('PATCH', `/calendars/${id}`, c);
  }
  deleteCalendar(id: string): Promise<void> {
    return this.request('DELETE', `/calendars/${id}`);
  }
  collaborators(id: string): Promise<Collaborator[]> {
    return this.request<Collaborator[] | { items: Collaborator[] }>('GET', `/calendars/${id}/collaborators`).then((r) =>
      Array.isArray(r) ? r : r.items,
    );
  }
  share(id: string, email: string, role: Role): Promise<Collaborator> {
    return this.request('POST', `/calendars/${id}/share`, { email, role });
  }
  changeRole(id: string, userID: string, role: Role): Promise<Collaborator> {
    return this.request('PATCH', `/calendars/${id}/collaborators/${userID}`, { role });
  }
  unshare(id: string, userID: string): Promise<void> {
    return this.request('DELETE', `/calendars/${id}/collaborators/${userID}`);
  }

  view(calendarID: string, type: string, date: string, tz: string): Promise<View> {
    const q = new URLSearchParams({ view_type: type, date, tz });
    return this.request('GET', `/calendars/${calendarID}/view?${q}`);
  }
  event(id: string): Promise<CalEvent> {
    return this.request('GET', `/events/${encodeURIComponent(id)}`);
  }
  createEvent(e: EventRequest): Promise<CalEvent> {
    return this.request('POST', '/events', e, {}, `the new event “${e.title || '(No title)'}”`);
  }
  patchEvent(id: string, e: EventRequest, scope?: Scope, etag?: string, label = 'your change'): Promise<CalEvent> {
    const q = scope ? `?scope=${scope}` : '';
    return this.request('PATCH', `/events/${encodeURIComponent(id)}${q}`, e, etag ? { 'If-Match': etag } : {}, label);
  }
  deleteEvent(id: string, scope?: Scope, label = 'the deletion'): Promise<void> {
    const q = scope ? `?scope=${scope}` : '';
    return this.request('DELETE', `/events/${encodeURIComponent(id)}${q}`, undefined, {}, label);
  }
  /** Events of every calendar the user may read whose text has the words of q. */
  search(q: string, tz: string): Promise<EventList> {
    return this.request('GET', `/events?${new URLSearchParams({ q, tz })}`);
  }

  appPasswords(userID: string): Promise<AppPassword[]> {
    return this.request<AppPassword[] | { items: AppPassword[] }>('GET', `/users/${userID}/app-passwords`).then((r) =>
      Array.isArray(r) ? r : r.items);
  }
  createAppPassword(userID: string, name: string): Promise<AppPassword> {
    return this.request('POST', `/users/${userID}/app-passwords`, { name });
  }
  revokeAppPassword(userID: string, name: string): Promise<void> {
    return this.request('DELETE', `/users/${userID}/app-passwords/${encodeURIComponent(name)}`);
  }
  /** Dismisses a reminder on every device (RFC 9074 ACKNOWLEDGED): its repeats stop too. */
  dismissReminder(eventID: string, reminderID: string): Promise<ReminderState> {
    return this.request('POST', `/reminders/${eventID}/${encodeURIComponent(reminderID)}/dismiss`, undefined, {}, 'Dismiss reminder');
  }
  /** Dismisses a reminder and has it come back in minutes (RFC 9074 snooze). */
  snoozeReminder(eventID: string, reminderID: string, minutes: number): Promise<ReminderState> {
    return this.request('POST', `/reminders/${eventID}/${encodeURIComponent(reminderID)}/snooze`, { minutes }, {}, 'Snooze reminder');
  }
  /** One reminder of an event, with when it was last dismissed. */
  reminder(eventID: string, reminderID: string): Promise<ReminderState> {
    return this.request('GET', `/reminders/${eventID}/${encodeURIComponent(reminderID)}`);
  }
  reminderSettings(): Promise<ReminderSettings> {
    return this.request('GET', '/reminder-settings');
  }
  putReminderSettings(s: ReminderSettings): Promise<ReminderSettings> {
    return this.request('PUT', '/reminder-settings', s);
  }

  importFile(calendarID: string, file: File): Promise<ImportReport> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.request('POST', `/calendars/${calendarID}/import`, form);
  }
  exportURL(calendarID: string): string {
    return `/api/v1/calendars/${calendarID}/export.ics`;
  }
  publication(calendarID: string): Promise<Publication | null> {
    return this.request<Publication>('GET', `/calendars/${calendarID}/publication`).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
  }
  publish(calendarID: string, level: Publication['level']): Promise<Publication> {
    return this.request('PUT', `/calendars/${calendarID}/publication`, { level });
  }
  unpublish(calendarID: string): Promise<void> {
    return this.request('DELETE', `/calendars/${calendarID}/publication`);
  }
  subscribe(url: string, displayName: string, color: string): Promise<unknown> {
    return this.request('POST', '/subscriptions', { url, display_name: displayName, color });
  }

  /** The user's invitations, answered or not. */
  invitations(): Promise<Invitation[]> {
    return this.request<Invitation[] | { items: Invitation[] }>('GET', '/invitations?status=all').then((r) => (Array.isArray(r) ? r : r.items));
  }
  invite(eventID: string, email: string): Promise<Invitation> {
    return this.request('POST', `/invitations/${eventID}`, { email });
  }
  eventInvitations(eventID: string): Promise<Invitation[]> {
    return this.request<Invitation[] | { items: Invitation[] }>('GET', `/invitations/${eventID}`).then((r) =>
      Array.isArray(r) ? r : r.items,
    );
  }
  respond(eventID: string, id: string, status: 'ACCEPTED' | 'DECLINED' | 'TENTATIVE'): Promise<Invitation> {
    return this.request('PUT', `/invitations/${eventID}/${id}`, { status });
  }
  /** The new times guests proposed for the user's event. */
  proposals(eventID: string): Promise<Proposal[]> {
    return this.request('GET', `/events/${eventID}/proposals`);
  }
  /** Moves the event to a proposed time; its guests are told. */
  acceptProposal(eventID: string, id: string): Promise<Proposal> {
    return this.request('POST', `/events/${eventID}/proposals/${id}/accept`);
  }
  /** Keeps the event; the proposer is told. */
  declineProposal(eventID: string, id: string): Promise<Proposal> {
    return this.request('POST', `/events/${eventID}/proposals/${id}/decline`);
  }
}
