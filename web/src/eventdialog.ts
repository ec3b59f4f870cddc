// The event editor: create, edit and delete events, with recurrence,
// time zones, attendees and reminders.

import type { EventApi } from '@fullcalendar/core';
import { OfflineError, type Attendee, type CalEvent, type EventRequest, type EventTime, type Reminder, type Scope } from './api';
import { append, choose, confirmDiscard, dismiss, field, h, modal, replace, requestNotifications, select, toast } from './dom';
import { errorText } from './errors';
import { clock, dayText } from './format';
import { RecurrenceEditor } from './recurrence-ui';
import { ruleOf, withRule, type Anchor } from './rrule';
import type { State } from './state';
import { addDays, convertWall, dateString, instantOf, isZone, localString, offsetAt, offsetLabel, parseWall, wallAt, wallOf, zoneNames, type Wall } from './tz';
import { guestComments, pendingProposals, proposalText } from './proposals';
import { offerUndo, recreation } from './undo';

/** A new event's times, as the grid's UTC-coerced wall clocks in the viewer's zone. */
export interface Draft {
  start: Date;
  end: Date;
  allDay: boolean;
}

interface Target {
  draft?: Draft & { title?: string; calendarId?: string };
  id?: string;
  calendarId?: string;
}

/** The "this event / this and following / all events" question. */
export function askScope(title: string): Promise<Scope | null> {
  return choose<Scope>(title, 'This event repeats. Which events should change?', [
    ['this', 'This event'],
    ['following', 'This and following events'],
    ['all', 'All events'],
  ]);
}

const pad = (n: number) => String(n).padStart(2, '0');
const timeOf = (w: Wall) => `${pad(w.h)}:${pad(w.mi)}`;

/** The zone an event time is written in: its TZID, '' when floating, UTC otherwise. */
function zoneOfTime(t: EventTime): string {
  if (t.floating) return '';
  return t.time_zone || 'UTC';
}

/** Saves a drag or resize in the grid, and offers to undo it. */
export async function moveEvent(st: State, id: string, ev: EventApi, old: EventApi, scope?: Scope): Promise<void> {
  const e = await st.api.event(id);
  const master = e.recurring_event_id && e.recurring_event_id !== e.id && scope && scope !== 'this'
    ? await st.api.event(e.recurring_event_id) : null;
  const req: EventRequest = {};
  if (ev.allDay) {
    const s = dateString(wallOf(ev.start!));
    req.start = { date: s };
    req.end = { date: ev.end ? dateString(wallOf(ev.end)) : addDays(s, 1) };
  } else {
    const wasTimed = !old.allDay && !e.all_day;
    const zone = wasTimed ? zoneOfTime(e.start) : st.zone;
    const endZone = wasTimed ? zoneOfTime(e.end) : zone;
    const start = ev.start!;
    const end = ev.end ?? new Date(start.getTime() + (old.end && old.start && !old.allDay ? old.end.getTime() - old.start.getTime() : 3600000));
    req.start = timeIn(start, st.zone, zone);
    req.end = timeIn(end, st.zone, endZone);
  }
  const moved = await st.api.patchEvent(id, req, scope, e.etag, `the move of “${e.title || '(No title)'}”`);
  offerUndo(st, 'Event moved.', async () => {
    if (master && scope === 'following' && moved.id !== master.id) {
      // The move split the series: the part split off goes, and the
      // series recurs as it did.
      await st.api.deleteEvent(moved.id, 'all');
      await st.api.patchEvent(master.id, { recurrence: master.recurrence ?? [] });
    } else if (master) {
      await st.api.patchEvent(master.id, { start: master.start, end: master.end });
    } else {
      await st.api.patchEvent(id, { start: e.start, end: e.end }, scope === 'this' ? 'this' : undefined);
    }
  });
}

/** An event time for the viewer's wall clock d, written in zone ('' = floating). */
function timeIn(d: Date, viewer: string, zone: string): EventTime {
  if (!zone) return { date_time: localString(wallOf(d)), floating: true };
  return { date_time: localString(wallOf(convertWall(d, viewer, zone))), time_zone: zone };
}

/**
 * Opens the editor for a new event (target.draft) or an existing one
 * (target.id); onclose runs when it closes.
 */
export async function openEventEditor(st: State, target: Target, onclose?: () => void): Promise<void> {
  let ev: CalEvent | null = null;
  let master: CalEvent | null = null;
  if (target.id) {
    try {
      ev = await st.api.event(target.id);
      if (ev.recurring_event_id && ev.recurring_event_id !== ev.id) {
        master = await st.api.event(ev.recurring_event_id).catch(() => null);
      }
    } catch (err) {
      toast(errorText(err), 'error');
      onclose?.();
      return;
    }
  }
  new EventEditor(st, target, ev, master, onclose);
}

class EventEditor {
  private dlg!: HTMLDialogElement;
  private title = h('input', { class: 'title-input', placeholder: 'Add title', 'aria-label': 'Title' });
  private cal: HTMLSelectElement;
  private allDay = h('input', { type: 'checkbox' });
  private startDate = h('input', { type: 'date', required: true, 'aria-label': 'Start date' });
  private startTime = h('input', { type: 'time', required: true, step: 300, 'aria-label': 'Start time' });
  private endDate = h('input', { type: 'date', required: true, 'aria-label': 'End date' });
  private endTime = h('input', { type: 'time', required: true, step: 300, 'aria-label': 'End time' });
  private zone = h('input', { list: 'event-zones', autocomplete: 'off', spellcheck: 'false' });
  private zoneNote = h('p', { class: 'hint', 'aria-live': 'polite' });
  private location = h('input', { autocomplete: 'off' });
  private description = h('textarea', { rows: 3 });
  private attendees: Attendee[] = [];
  private attendeeList = h('ul', { class: 'attendees', 'aria-label': 'Guests' });
  private proposalList = h('ul', { class: 'proposals', 'aria-label': 'Proposed times', 'aria-live': 'polite' });
  /** The guests' comments with their answers, by address. */
  private comments = new Map<string, string>();
  private reminders: Reminder[] = [];
  private reminderList = h('ul', { class: 'reminders', 'aria-label': 'Reminders' });
  private error = h('p', { class: 'error', role: 'alert' });
  private recurrence: RecurrenceEditor;
  private readonly readOnly: boolean;
  private readonly recurring: boolean;
  private readonly floating: boolean;

  private saved = '';
  private onclose?: () => void;

  constructor(private app: State, target: Target, private ev: CalEvent | null, private master: CalEvent | null, onclose?: () => void) {
    this.onclose = onclose;
    const calId = ev?.calendar_id ?? target.draft?.calendarId ?? target.calendarId ?? app.writable()[0]?.id ?? '';
    const calendar = app.calendar(calId);
    this.readOnly = !!ev && !app.writable().some((c) => c.id === calendar?.id);
    const options: [string, string][] = (ev ? app.calendars.filter((c) => c.id === calId) : app.writable())
      .map((c) => [c.id, c.display_name]);
    this.cal = select(options, calId, { disabled: !!ev });
    this.recurring = !!ev?.recurring_event_id;
    this.floating = !!ev && !ev.all_day && !!ev.start.floating;

    // The times, in the event's zone (a new event: the viewer's).
    let zone = this.app.zone;
    let start: Wall, end: Wall;
    if (ev) {
      this.title.value = ev.title;
      this.location.value = ev.location;
      this.description.value = ev.description;
      this.allDay.checked = ev.all_day;
      this.attendees = ev.attendees.map((a) => ({ ...a }));
      this.reminders = ev.reminders.map((r) => ({ ...r }));
      if (ev.all_day) {
        start = parseWall(ev.start.date!)!;
        end = parseWall(addDays(ev.end.date ?? addDays(ev.start.date!, 1), -1))!;
      } else {
        zone = zoneOfTime(ev.start);
        start = parseWall(ev.start.date_time!)!;
        end = parseWall(ev.end.date_time ?? ev.start.date_time!)!;
      }
    } else {
      const d = target.draft!;
      this.title.value = d.title ?? '';
      this.allDay.checked = d.allDay;
      start = wallOf(d.start);
      end = d.allDay ? wallOf(new Date(d.end.getTime() - 86400000)) : wallOf(d.end);
      this.reminders = d.allDay ? [] : [{ method: 'display', minutes: 10 }];
    }
    this.zone.value = zone || '';
    this.zone.disabled = this.floating;
    this.startDate.value = dateString(start);
    this.endDate.value = dateString(end);
    this.startTime.value = this.allDay.checked ? '09:00' : timeOf(start);
    this.endTime.value = this.allDay.checked ? '10:00' : timeOf(end);

    const rule = ruleOf(master?.recurrence ?? ev?.recurrence);
    this.recurrence = new RecurrenceEditor(rule, this.anchor());
    this.open();
  }

  private anchor(): Anchor {
    const w = parseWall(`${this.startDate.value}T${this.allDay.checked ? '00:00' : this.startTime.value || '00:00'}`) ?? wallOf(new Date());
    return { start: w, zone: this.allDay.checked || this.floating ? '' : this.zone.value, allDay: this.allDay.checked };
  }

  private open(): void {
    const ro = this.readOnly;
    const times = h('div', { class: 'times' },
      h('div', { class: 'row' }, this.startDate, this.startTime, h('span', { 'aria-hidden': 'true' }, '–'), this.endTime, this.endDate),
      h('label', { class: 'check' }, this.allDay, ' All day'));
    const zones = h('datalist', { id: 'event-zones' }, ...zoneNames().map((z) => h('option', { value: z })));
    const zoneField = field('Time zone', this.zone);
    zoneField.classList.add('zone-field');
    const update = () => {
      const timed = !this.allDay.checked;
      this.startTime.hidden = !timed;
      this.endTime.hidden = !timed;
      zoneField.hidden = !timed;
      this.zoneNote.hidden = !timed;
      this.recurrence.setAnchor(this.anchor());
      this.noteZone();
    };
    for (const el of [this.allDay, this.startDate, this.startTime, this.endDate, this.endTime, this.zone]) {
      el.addEventListener('change', update);
    }
    // Moving the start moves the end with it, as calendars do.
    let lastStart = this.startMs();
    const follow = () => {
      const now = this.startMs();
      const end = this.endMs();
      if (lastStart !== null && now !== null && end !== null) {
        const w = wallOf(new Date(end + (now - lastStart)));
        this.endDate.value = dateString(w);
        this.endTime.value = timeOf(w);
      }
      lastStart = now;
    };
    this.startDate.addEventListener('change', follow);
    this.startTime.addEventListener('change', follow);

    const form = h('form', { class: 'form event-form', novalidate: true },
      this.title,
      field('Calendar', this.cal),
      h('fieldset', { class: 'when' }, h('legend', {}, 'When'), times, zoneField, zones, this.zoneNote,
        this.floating ? h('p', { class: 'hint' }, 'A floating time: the same wall-clock time in every time zone.') : null),
      this.recurrence.el,
      field('Location', this.location),
      field('Description', this.description),
      this.guestsSection(),
      this.remindersSection(),
      this.rsvpSection(),
      this.error,
      this.buttons());
    if (ro) for (const el of form.querySelectorAll<HTMLInputElement>('input, select, textarea, .attendees button, .reminders button, .add')) el.disabled = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save();
    });
    const heading = this.ev ? (ro ? 'Event' : 'Edit event') : 'New event';
    this.dlg = modal(heading, form, {
      class: 'event-dialog',
      onclose: () => this.onclose?.(),
      // Escape (or ×, or Cancel) on a half-typed event asks first.
      beforeDismiss: async () => this.readOnly || this.snapshot() === this.saved ||
        confirmDiscard(this.ev ? 'your changes to this event' : 'this event'),
    });
    update();
    this.saved = this.snapshot();
    this.title.focus();
    void this.loadReplies();
  }

  /** The whole event's id: proposals and invitations are the event's. */
  private eventID(): string {
    return (this.ev?.recurring_event_id || this.ev?.id || '').split('_')[0];
  }

  /**
   * For the organizer: the new times guests proposed (RFC 5546 §3.2.7),
   * to accept or decline, and the comments they left with their answers.
   */
  private async loadReplies(): Promise<void> {
    const org = this.ev?.organizer?.email?.toLowerCase();
    if (!this.ev || this.readOnly || !org || org !== this.app.user.email.toLowerCase() || !this.ev.attendees.length) return;
    const id = this.eventID();
    const [proposals, invitations] = await Promise.allSettled([this.app.api.proposals(id), this.app.api.eventInvitations(id)]);
    if (invitations.status === 'fulfilled') {
      this.comments = guestComments(invitations.value);
      this.drawGuests();
    }
    if (proposals.status === 'fulfilled') this.drawProposals(pendingProposals(proposals.value));
  }

  private drawProposals(list: ReturnType<typeof pendingProposals>): void {
    const year = new Date().getFullYear();
    replace(this.proposalList, ...list.map((p) => {
      const answer = async (accept: boolean) => {
        try {
          if (accept) {
            await this.app.api.acceptProposal(this.eventID(), p.id);
            toast('Moved to the proposed time. The guests are told.');
            this.dlg.close();
          } else {
            await this.app.api.declineProposal(this.eventID(), p.id);
            toast('Proposal declined. The guest is told.');
            void this.loadReplies();
          }
        } catch (err) {
          toast(errorText(err), 'error');
        }
      };
      return h('li', { class: 'proposal' },
        h('span', { class: 'proposal-text' }, proposalText(p, this.app.zone, this.app.hour12, year)),
        p.comment ? h('q', { class: 'guest-comment' }, p.comment) : null,
        h('span', { class: 'proposal-buttons' },
          h('button', { type: 'button', onclick: () => void answer(true) }, 'Accept'),
          h('button', { type: 'button', onclick: () => void answer(false) }, 'Decline')));
    }));
  }

  /** What the form holds, to tell whether anything was typed. */
  private snapshot(): string {
    const values = [...this.dlg.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')]
      .map((el) => el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio') ? String(el.checked) : el.value);
    return JSON.stringify([values, this.attendees, this.reminders]);
  }

  private startMs(): number | null {
    const w = parseWall(`${this.startDate.value}T${this.startTime.value || '00:00'}`);
    return w ? Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi) : null;
  }
  private endMs(): number | null {
    const w = parseWall(`${this.endDate.value}T${this.endTime.value || '00:00'}`);
    return w ? Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi) : null;
  }

  /** Says when the event is for the viewer, when the zones differ. */
  private noteZone(): void {
    const z = this.zone.value;
    const viewer = this.app.zone;
    if (this.allDay.checked || this.floating || !isZone(z)) {
      this.zoneNote.textContent = !this.allDay.checked && !this.floating && z ? 'Unknown time zone.' : '';
      return;
    }
    const w = parseWall(`${this.startDate.value}T${this.startTime.value || '00:00'}`);
    if (!w) return;
    const t = instantOf(w, z);
    const here = wallAt(t, viewer);
    this.zoneNote.textContent = z === viewer
      ? `${offsetLabel(offsetAt(t, z))}, your time zone.`
      : `${offsetLabel(offsetAt(t, z))}. In your time zone (${viewer}): ${dayText(here, -1)}, ${clock(here.h, here.mi, this.app.hour12)}.`;
  }

  private guestsSection(): HTMLElement {
    const input = h('input', { type: 'email', placeholder: 'name@example.com', autocomplete: 'off', 'aria-label': 'Add guest by e-mail' });
    const add = h('button', { type: 'button', class: 'add' }, 'Add guest');
    const addGuest = () => {
      const email = input.value.trim().toLowerCase();
      if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
        this.error.textContent = 'Enter a guest’s e-mail address.';
        return;
      }
      if (!this.attendees.some((a) => a.email?.toLowerCase() === email)) {
        this.attendees.push({ email, status: 'needs-action', rsvp: true, role: 'req-participant' });
      }
      input.value = '';
      this.error.textContent = '';
      this.drawGuests();
    };
    add.addEventListener('click', addGuest);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        addGuest();
      }
    });
    this.drawGuests();
    return h('fieldset', { class: 'guests' }, h('legend', {}, 'Guests'),
      this.ev?.organizer?.email ? h('p', { class: 'hint' }, 'Organizer: ', this.ev.organizer.name || this.ev.organizer.email) : null,
      this.proposalList, this.attendeeList, h('div', { class: 'row' }, input, add));
  }

  private drawGuests(): void {
    replace(this.attendeeList, ...this.attendees.map((a, i) => {
      const status = a.status ?? 'needs-action';
      return h('li', {},
        h('span', { class: 'guest' }, a.name ? `${a.name} <${a.email ?? a.uri ?? ''}>` : a.email ?? a.uri ?? ''),
        h('span', { class: `rsvp rsvp-${status}` }, statusLabel(status)),
        a.email && this.comments.has(a.email.toLowerCase()) ? h('q', { class: 'guest-comment' }, this.comments.get(a.email.toLowerCase())!) : null,
        this.readOnly ? null : h('button', { type: 'button', class: 'icon', 'aria-label': `Remove ${a.email ?? 'guest'}`,
          onclick: () => { this.attendees.splice(i, 1); this.drawGuests(); } }, '×'));
    }));
  }

  private remindersSection(): HTMLElement {
    const add = h('button', { type: 'button', class: 'add', onclick: () => {
      this.reminders.push({ method: 'display', minutes: this.allDay.checked ? 24 * 60 : 30 });
      this.drawReminders();
      if ('Notification' in window && Notification.permission === 'default') void requestNotifications();
    } }, 'Add reminder');
    this.drawReminders();
    return h('fieldset', { class: 'reminders-box' }, h('legend', {}, 'Reminders'), this.reminderList, add);
  }

  private drawReminders(): void {
    replace(this.reminderList, ...this.reminders.map((r, i) => {
      if (r.at || r.minutes === undefined) {
        return h('li', {}, h('span', {}, r.at ? `At ${r.at}` : 'Custom reminder'),
          h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove reminder', onclick: () => { this.reminders.splice(i, 1); this.drawReminders(); } }, '×'));
      }
      const [n, unit] = splitMinutes(r.minutes);
      const num = h('input', { type: 'number', min: 0, max: 9999, value: n, class: 'narrow', 'aria-label': 'How long before' });
      const units = select([['1', 'minutes'], ['60', 'hours'], ['1440', 'days'], ['10080', 'weeks']], String(unit), { 'aria-label': 'Unit' });
      const method = select([['display', 'Notification'], ['email', 'E-mail']], r.method === 'email' ? 'email' : 'display', { 'aria-label': 'How' });
      const set = () => {
        r.minutes = (Number(num.value) || 0) * Number(units.value);
        r.method = method.value;
      };
      num.addEventListener('change', set);
      units.addEventListener('change', set);
      method.addEventListener('change', set);
      return h('li', {}, method, num, units, h('span', {}, ' before'),
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove reminder', onclick: () => { this.reminders.splice(i, 1); this.drawReminders(); } }, '×'));
    }));
  }

  /** Going? buttons when the viewer is invited to this event. */
  private rsvpSection(): HTMLElement | null {
    if (!this.ev) return null;
    const inv = this.app.invitationFor(this.ev.recurring_event_id || this.ev.id);
    if (!inv) return null;
    const box = h('div', { class: 'rsvp-box', role: 'group', 'aria-label': 'Going?' }, h('span', {}, 'Going? '));
    for (const [status, label] of [['ACCEPTED', 'Yes'], ['DECLINED', 'No'], ['TENTATIVE', 'Maybe']] as const) {
      append(box, h('button', { type: 'button', 'aria-pressed': String(inv.status === status), onclick: async () => {
        await this.app.respond(inv, status);
        this.dlg.close();
      } }, label));
    }
    return box;
  }

  private buttons(): HTMLElement {
    const b = h('div', { class: 'buttons' });
    if (this.ev) {
      append(b, h('button', { type: 'button', class: 'link copy-link', onclick: () => void this.copyLink() }, 'Copy link'));
    }
    if (!this.readOnly) append(b, h('button', { type: 'submit', class: 'primary' }, 'Save'));
    if (this.ev && !this.readOnly) append(b, h('button', { type: 'button', class: 'danger', onclick: () => void this.remove() }, 'Delete'));
    append(b, h('button', { type: 'button', onclick: () => void dismiss(this.dlg) }, this.readOnly ? 'Close' : 'Cancel'));
    return b;
  }

  /** Copies the address that opens this event (its week, with the event). */
  private async copyLink(): Promise<void> {
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      toast('Link copied.');
    } catch {
      toast(`The link: ${url}`);
    }
  }

  /** The request for the form's values: the whole event. */
  private request(): EventRequest | null {
    const allDay = this.allDay.checked;
    let start: EventTime, end: EventTime;
    if (allDay) {
      if (!this.startDate.value || !this.endDate.value) return this.fail('Choose the dates.');
      if (this.endDate.value < this.startDate.value) return this.fail('The event ends before it starts.');
      start = { date: this.startDate.value };
      end = { date: addDays(this.endDate.value, 1) };
    } else {
      const s = parseWall(`${this.startDate.value}T${this.startTime.value}`);
      const e = parseWall(`${this.endDate.value}T${this.endTime.value}`);
      if (!s || !e) return this.fail('Choose the dates and times.');
      const zone = this.zone.value.trim();
      if (this.floating) {
        start = { date_time: localString(s), floating: true };
        end = { date_time: localString(e), floating: true };
      } else {
        if (!isZone(zone)) return this.fail('Unknown time zone.');
        if (instantOf(e, zone) < instantOf(s, zone)) return this.fail('The event ends before it starts.');
        start = { date_time: localString(s), time_zone: zone };
        end = { date_time: localString(e), time_zone: zone };
      }
    }
    const rule = this.recurrence.value();
    const req: EventRequest = {
      title: this.title.value.trim(),
      description: this.description.value,
      location: this.location.value.trim(),
      start, end,
      recurrence: withRule(this.master?.recurrence ?? this.ev?.recurrence, rule),
      attendees: this.attendees,
      reminders: this.reminders,
    };
    return req;
  }

  private fail(msg: string): null {
    this.error.textContent = msg;
    return null;
  }

  private async save(): Promise<void> {
    this.error.textContent = '';
    const req = this.request();
    if (!req) return;
    const app = this.app;
    try {
      if (!this.ev) {
        const body: EventRequest = { ...req, calendar_id: this.cal.value };
        if (!req.recurrence?.length) delete body.recurrence;
        if (!req.attendees?.length) delete body.attendees;
        await app.api.createEvent(body);
        toast('Event created.');
      } else {
        const patch = changes(this.ev, this.master, req);
        if (Object.keys(patch).length === 0) {
          this.dlg.close();
          return;
        }
        let scope: Scope | undefined;
        const id = this.ev.id;
        if (this.recurring) {
          const onlyRule = patch.recurrence !== undefined;
          const s = onlyRule
            ? await choose<Scope>('Change recurring event', 'The repeat rule changes for:', [['following', 'This and following events'], ['all', 'All events']])
            : await askScope('Change recurring event');
          if (!s) return;
          scope = s;
          if (s === 'this') delete patch.recurrence;
        }
        await app.api.patchEvent(id, patch, scope, this.ev.etag, `your change to “${this.ev.title || '(No title)'}”`);
        toast('Event saved.');
      }
      this.dlg.close();
      app.refetch(this.cal.value);
    } catch (err) {
      if (err instanceof OfflineError && err.queued) {
        // Kept, and sent again when the server answers: the dialog's
        // work is done.
        toast(errorText(err), 'error');
        this.dlg.close();
        return;
      }
      this.error.textContent = errorText(err);
      if (err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'precondition-failed') app.refetch(this.cal.value);
    }
  }

  private async remove(): Promise<void> {
    const ev = this.ev!;
    let scope: Scope | undefined;
    if (this.recurring) {
      const s = await choose<Scope>('Delete recurring event', 'This event repeats. Which events should be deleted?',
        [['this', 'This event'], ['following', 'This and following events'], ['all', 'All events']]);
      if (!s) return;
      scope = s;
    } else if (await choose('Delete event', `Delete “${ev.title || '(No title)'}”?`, [['yes', 'Delete']]) !== 'yes') {
      return;
    }
    const st = this.app;
    const master = this.master;
    try {
      await st.api.deleteEvent(ev.id, scope, `the deletion of “${ev.title || '(No title)'}”`);
    } catch (err) {
      if (err instanceof OfflineError && err.queued) {
        toast(errorText(err), 'error');
        this.dlg.close();
        return;
      }
      this.error.textContent = errorText(err);
      return;
    }
    this.dlg.close();
    st.refetch(ev.calendar_id);
    offerUndo(st, 'Event deleted.', async () => {
      if (master && scope !== 'all') {
        // One or the rest of the instances: the series recurs as it did.
        await st.api.patchEvent(master.id, { recurrence: master.recurrence ?? [] });
      } else {
        await st.api.createEvent(recreation(master ?? ev));
      }
    });
  }
}

/** The fields of req that differ from the event as loaded. */
function changes(ev: CalEvent, master: CalEvent | null, req: EventRequest): EventRequest {
  const out: EventRequest = {};
  if (req.title !== ev.title) out.title = req.title;
  if (req.description !== ev.description) out.description = req.description;
  if (req.location !== ev.location) out.location = req.location;
  if (!sameTime(req.start!, ev.start) || !sameTime(req.end!, ev.end)) {
    out.start = req.start;
    out.end = req.end;
  }
  const rec = master?.recurrence ?? ev.recurrence ?? [];
  if (JSON.stringify(req.recurrence ?? []) !== JSON.stringify(rec)) out.recurrence = req.recurrence;
  if (JSON.stringify(req.attendees) !== JSON.stringify(ev.attendees)) out.attendees = req.attendees;
  if (JSON.stringify(req.reminders) !== JSON.stringify(ev.reminders)) out.reminders = req.reminders;
  return out;
}

function sameTime(a: EventTime, b: EventTime): boolean {
  if (a.date || b.date) return a.date === b.date;
  const wa = parseWall(a.date_time ?? '');
  const wb = parseWall(b.date_time ?? '');
  return !!wa && !!wb && localString(wa) === localString(wb) && zoneOfTime(a) === zoneOfTime(b);
}

function splitMinutes(m: number): [number, number] {
  for (const unit of [10080, 1440, 60]) if (m > 0 && m % unit === 0) return [m / unit, unit];
  return [m, 1];
}

export function statusLabel(s: string): string {
  switch (s.toLowerCase()) {
    case 'accepted': return 'Going';
    case 'declined': return 'Not going';
    case 'tentative': return 'Maybe';
    case 'delegated': return 'Delegated';
    case 'pending':
    case 'needs-action': return 'Awaiting reply';
  }
  return s;
}
