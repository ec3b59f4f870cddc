// The signed-in user's state, which the application and every dialog
// share: the API, the profile, the calendars, the invitations, the clock
// preference, and the few actions all of them need. It imports no part of
// the interface; the app and the dialogs import it, and tell each other
// of changes through it (on/emit), never by importing one another.

import { ApiError, type Api, type Calendar, type Invitation, type User } from './api';
import { assignColors } from './colors';
import { errorText } from './errors';
import { hour12For, type HourPref } from './format';
import { toast } from './dom';
import { browserZone, isZone, wallAt, wallMs } from './tz';

/** What parts of the interface tell each other. */
export type Topic =
  | 'calendars' // the calendar list changed
  | 'invitations' // the invitations changed
  | 'refetch' // a calendar's events (or, without an id, all) changed
  | 'open-event'; // an event (id) should be opened in the editor

const HOUR_KEY = 'almanac.hours';

export class State {
  readonly api: Api;
  user: User;
  zone: string;
  hourPref: HourPref;
  calendars: Calendar[] = [];
  invitations: Invitation[] = [];
  /** False when the server has no scheduling: no inbox then. */
  invitationsAvailable = true;
  private invitationsLoaded = false;
  private listeners = new Map<Topic, Set<(arg?: string) => void>>();
  private reloading: Promise<void> = Promise.resolve();

  constructor(api: Api, user: User) {
    this.api = api;
    this.user = user;
    this.zone = isZone(user.time_zone) ? user.time_zone : browserZone();
    const pref = localStorage.getItem(`${HOUR_KEY}.${user.id}`);
    this.hourPref = pref === '12' || pref === '24' ? pref : 'auto';
    this.hour12 = hour12For(this.hourPref);
  }

  /** Whether times are shown on a 12-hour clock. */
  hour12: boolean;

  setHourPref(p: HourPref): void {
    this.hourPref = p;
    this.hour12 = hour12For(p);
    localStorage.setItem(`${HOUR_KEY}.${this.user.id}`, p);
  }

  on(topic: Topic, fn: (arg?: string) => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit(topic: Topic, arg?: string): void {
    for (const fn of this.listeners.get(topic) ?? []) fn(arg);
  }

  /** The viewer's wall clock now, as the grid's UTC-coerced Date. */
  now(): Date {
    return new Date(wallMs(wallAt(Date.now(), this.zone)));
  }

  writable(): Calendar[] {
    return this.calendars.filter((c) => (c.role === 'owner' || c.role === 'writer') && !readOnlySource(c));
  }

  calendar(id: string): Calendar | undefined {
    return this.calendars.find((c) => c.id === id);
  }

  /** The colour events of calendar id are drawn in. */
  color(id: string): string {
    return this.calendar(id)?.color || '#1a73e8';
  }

  /** Events of calendar id (or of all) changed: the grid fetches them again. */
  refetch(calendarID?: string): void {
    this.emit('refetch', calendarID);
  }

  /** Loads the calendar list (or takes one already asked for); one load at a time. */
  reloadCalendars(asked?: Promise<Calendar[]>): Promise<void> {
    this.reloading = this.reloading.then(() => this.loadCalendars(asked));
    return this.reloading;
  }

  private async loadCalendars(asked?: Promise<Calendar[]>): Promise<void> {
    let cals: Calendar[];
    try {
      cals = await (asked ?? this.api.calendars());
    } catch (err) {
      toast(errorText(err), 'error');
      return;
    }
    // Task lists (and journals) belong to other apps: the grid shows
    // calendars that hold events.
    cals = cals.filter((c) => !c.components || c.components.includes('VEVENT'));
    cals.sort((a, b) => Number(b.role === 'owner') - Number(a.role === 'owner') || a.order - b.order ||
      a.display_name.localeCompare(b.display_name));
    if (cals.length === 0) {
      try {
        cals = [await this.api.createCalendar({ display_name: this.user.display_name || this.user.name, color: '#1a73e8' })];
      } catch (err) {
        toast(errorText(err), 'error');
      }
    }
    // A calendar without a colour of its own, or with one an earlier
    // calendar has (a calendar shared with the user comes with its
    // owner's), gets the next free one, kept as the user's choice.
    for (const [id, color] of assignColors(cals)) {
      const c = cals.find((x) => x.id === id)!;
      c.color = color;
      void this.api.updateCalendar(id, { color }).catch(() => {});
    }
    this.calendars = cals;
    this.emit('calendars');
  }

  /**
   * Loads the user's invitations, answered or not, and tells when the
   * answers changed.
   */
  async refreshInvitations(): Promise<void> {
    if (!this.invitationsAvailable) return;
    const before = answers(this.invitations);
    try {
      this.invitations = await this.api.invitations();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 501 || err.status === 405)) {
        this.invitationsAvailable = false;
        return;
      }
      throw err;
    }
    if (!this.invitationsLoaded || answers(this.invitations) !== before) this.emit('invitations');
    this.invitationsLoaded = true;
  }

  /** The invitation for the user's copy of an event. */
  invitationFor(eventID: string): Invitation | undefined {
    return this.invitations.find((i) => i.event_id === eventID);
  }

  /** Answers an invitation. */
  async respond(inv: Invitation, status: 'ACCEPTED' | 'DECLINED' | 'TENTATIVE'): Promise<void> {
    try {
      await this.api.respond(inv.event_id, inv.id, status);
      toast(status === 'ACCEPTED' ? 'Accepted.' : status === 'DECLINED' ? 'Declined.' : 'Answered maybe.');
      await this.refreshInvitations();
      this.refetch();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }
}

/** The invitations and their answers, to tell whether they changed. */
function answers(list: Invitation[]): string {
  return list.map((i) => `${i.event_id}:${i.id}:${i.status}`).sort().join(',');
}

/** Whether a calendar is fed from elsewhere (a subscription): nobody writes it here. */
export function readOnlySource(c: Calendar): boolean {
  return !!c.source;
}
