// The signed-in application: the calendar list, the toolbar and the grid,
// kept current by the change stream.

import { Calendar as Grid, type EventApi, type EventInput, type EventSourceApi } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import interactionPlugin from '@fullcalendar/interaction';
import listPlugin from '@fullcalendar/list';
import multiMonthPlugin from '@fullcalendar/multimonth';
import timeGridPlugin from '@fullcalendar/timegrid';

import { Api, ApiError, type Calendar, type Scope, type User, type ViewInstance } from './api';
import { append, choose, field, h, modal, replace, select, toast } from './dom';
import { openEventEditor, moveEvent, type Draft } from './eventdialog';
import { Inbox } from './inbox';
import { cover } from './range';
import { countByDay, summariseMonth } from './summary';
import { shareDialog } from './share';
import { Stream } from './stream';
import { browserZone, dateString, isZone, offsetAt, offsetLabel, wallAt, wallMs, zoneNames } from './tz';

const VIEWS: [string, string, string][] = [
  // [FullCalendar view, label, key]
  ['timeGridDay', 'Day', 'd'],
  ['timeGridWeek', 'Week', 'w'],
  ['dayGridMonth', 'Month', 'm'],
  ['multiMonthYear', 'Year', 'y'],
  ['listWeek', 'Schedule', 'a'],
];

const HIDDEN_KEY = 'almanac.hidden';
/** Timed events a month cell shows before "+N more" (per calendar). */
const MONTH_PER_DAY = 4;
const VIEW_KEY = 'almanac.view';

export class App {
  readonly api: Api;
  user: User;
  zone: string;
  calendars: Calendar[] = [];
  grid!: Grid;
  private hidden: Set<string>;
  private sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Calendars' });
  private calList = h('ul', { class: 'cal-list' });
  private title = h('h2', { class: 'period', 'aria-live': 'polite' });
  private datePicker = h('input', { type: 'date', 'aria-label': 'Go to date' });
  private viewButtons = new Map<string, HTMLButtonElement>();
  private stream?: Stream;
  readonly inbox: Inbox;
  private refetchTimers = new Map<string, number>();
  private sourceColors = new Map<string, string>();
  private sourceRoles = new Map<string, string>();
  private signOut: () => void;

  constructor(root: HTMLElement, api: Api, user: User, signOut: () => void) {
    this.api = api;
    this.user = user;
    this.signOut = signOut;
    this.zone = isZone(user.time_zone) ? user.time_zone : browserZone();
    this.hidden = new Set<string>(JSON.parse(localStorage.getItem(this.hiddenKey()) ?? '[]') as string[]);
    this.inbox = new Inbox(this);
    this.render(root);
  }

  /** Where the calendars this user hid are remembered (per user: a browser may be shared). */
  private hiddenKey(): string {
    return `${HIDDEN_KEY}.${this.user.id}`;
  }

  /** The viewer's wall clock now, as the grid's UTC-coerced Date. */
  now(): Date {
    return new Date(wallMs(wallAt(Date.now(), this.zone)));
  }

  writable(): Calendar[] {
    return this.calendars.filter((c) => c.role === 'owner' || c.role === 'writer');
  }

  calendar(id: string): Calendar | undefined {
    return this.calendars.find((c) => c.id === id);
  }

  private render(root: HTMLElement): void {
    const gridEl = h('div', { class: 'grid', id: 'grid' });
    const toolbar = this.toolbar();
    const showSidebar = (open: boolean) => {
      document.body.classList.toggle('sidebar-open', open);
      menuButton.setAttribute('aria-expanded', String(open));
      if (open) this.sidebar.querySelector<HTMLElement>('button, input')?.focus();
      else menuButton.focus();
    };
    const menuButton = h('button', { type: 'button', class: 'icon menu', 'aria-label': 'Show calendars', 'aria-expanded': 'false',
      'aria-controls': 'sidebar', onclick: () => showSidebar(!document.body.classList.contains('sidebar-open')) }, '☰');
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && document.body.classList.contains('sidebar-open') && !document.querySelector('dialog[open]')) showSidebar(false);
    });
    this.sidebar.id = 'sidebar';
    const header = h('header', { class: 'top' },
      menuButton,
      h('h1', { class: 'brand' }, 'Almanac'),
      toolbar,
      h('div', { class: 'account' },
        this.inbox.button,
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Settings', title: 'Settings', onclick: () => this.settings() }, '⚙'),
        h('button', { type: 'button', onclick: () => this.signOut() }, 'Sign out')));
    const create = h('button', { type: 'button', class: 'primary create', onclick: () => this.createAt(null) }, '+ Create');
    replace(this.sidebar,
      h('button', { type: 'button', class: 'icon sidebar-close', 'aria-label': 'Hide calendars', onclick: () => showSidebar(false) }, '×'),
      create,
      h('h2', { class: 'section' }, 'Calendars'),
      this.calList,
      h('button', { type: 'button', class: 'link', onclick: () => this.newCalendar() }, '+ New calendar'),
      h('p', { class: 'zone-note' }, 'Times shown in ', h('span', { class: 'zone-name' }, this.zone)),
      h('p', { class: 'keys-note' }, 'Keys: t today, n/p or j/k next/previous, d w m y a views, c create.'));
    replace(root,
      h('a', { href: '#grid', class: 'skip' }, 'Skip to calendar'),
      header,
      h('div', { class: 'body' }, this.sidebar, h('main', { class: 'main', 'aria-label': 'Calendar' }, gridEl)));

    const initial = localStorage.getItem(VIEW_KEY) ?? (window.innerWidth < 700 ? 'listWeek' : 'timeGridWeek');
    this.grid = new Grid(gridEl, {
      plugins: [dayGridPlugin, timeGridPlugin, listPlugin, multiMonthPlugin, interactionPlugin],
      timeZone: 'UTC', // the grid shows the viewer's wall clock; see tz.ts
      now: () => this.now(),
      initialView: VIEWS.some(([v]) => v === initial) ? initial : 'timeGridWeek',
      headerToolbar: false,
      height: '100%',
      firstDay: this.user.week_start,
      nowIndicator: true,
      // Each view asks for its own data: a month or a year is summarised
      // (summary.ts), so it cannot be reused for the weeks and days in it.
      lazyFetching: false,
      selectable: true,
      selectMirror: true,
      editable: true,
      eventInteractive: true,
      dayMaxEvents: true,
      navLinks: true,
      scrollTime: '08:00:00',
      slotEventOverlap: false,
      // A year shows how many events each day has (see summary.ts); where
      // a cell is too small even for that, a dot opens the day's count.
      views: { multiMonthYear: { multiMonthMaxColumns: 4, multiMonthMinWidth: 220 } },
      moreLinkContent: (arg) => ({ domNodes: [document.createTextNode(arg.view.type === 'multiMonthYear' ? '•' : arg.text)] }),
      select: (info) => {
        this.grid.unselect();
        this.createAt({ start: info.start, end: info.end, allDay: info.allDay });
      },
      eventClick: (info) => {
        info.jsEvent.preventDefault();
        if (info.event.extendedProps.more !== undefined) {
          this.grid.changeView('timeGridDay', info.event.extendedProps.date as string);
          return;
        }
        this.openEvent(info.event);
      },
      eventDrop: (info) => { void this.moved(info.event, info.oldEvent, info.revert); },
      eventResize: (info) => { void this.moved(info.event, info.oldEvent, info.revert); },
      eventContent: (arg) => ({
        domNodes: eventNodes(arg.event, arg.timeText, arg.view.type,
          arg.event.backgroundColor || this.calendar(arg.event.extendedProps.calendarId as string)?.color || '#1a73e8'),
      }),
      eventDidMount: (arg) => {
        const inst = arg.event.extendedProps.inst as ViewInstance | undefined;
        const cal = this.calendar(arg.event.extendedProps.calendarId as string);
        const more = arg.event.extendedProps.more as number | undefined;
        if (more !== undefined) {
          const label = `${more} ${arg.view.type === 'multiMonthYear' ? '' : 'more '}event${more === 1 ? '' : 's'} in ${cal?.display_name ?? ''} on ${arg.event.extendedProps.date as string}`;
          arg.el.setAttribute('aria-label', label);
          arg.el.title = label;
          return;
        }
        const label = [arg.event.title || 'Busy', arg.timeText, inst?.location, cal?.display_name].filter(Boolean).join(', ');
        arg.el.setAttribute('aria-label', label);
        arg.el.title = label;
      },
      datesSet: (info) => {
        this.title.textContent = info.view.title;
        this.datePicker.value = dateString(wallAt(this.grid.getDate().getTime(), 'UTC'));
        for (const [v, b] of this.viewButtons) b.setAttribute('aria-pressed', String(v === info.view.type));
        localStorage.setItem(VIEW_KEY, info.view.type);
      },
      loading: (busy) => {
        document.body.classList.toggle('loading', busy);
        if (!busy) afterPaint(() => {
          performance.mark('almanac:interactive');
          try {
            performance.measure('almanac:render', 'almanac:data', 'almanac:interactive');
          } catch {
            // no data mark yet: nothing was fetched
          }
        });
      },
    });
    this.grid.render();
    document.addEventListener('keydown', (e) => this.key(e));
    window.addEventListener('resize', () => this.grid.updateSize());
    void this.reloadCalendars().then(() => {
      this.stream = new Stream(this);
      void this.inbox.refresh();
    });
  }

  private toolbar(): HTMLElement {
    const nav = (label: string, aria: string, fn: () => void) =>
      h('button', { type: 'button', 'aria-label': aria, title: aria, onclick: fn }, label);
    this.datePicker.addEventListener('change', () => {
      if (this.datePicker.value) this.grid.gotoDate(this.datePicker.value);
    });
    const views = h('div', { class: 'views', role: 'group', 'aria-label': 'View' });
    for (const [v, label, key] of VIEWS) {
      const b = h('button', { type: 'button', 'aria-pressed': 'false', 'aria-keyshortcuts': key, 'data-view': v,
        onclick: () => this.grid.changeView(v) }, label);
      this.viewButtons.set(v, b);
      views.appendChild(b);
    }
    return h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Calendar navigation' },
      nav('Today', 'Today', () => this.grid.today()),
      nav('‹', 'Previous period', () => this.grid.prev()),
      nav('›', 'Next period', () => this.grid.next()),
      this.title,
      this.datePicker,
      views);
  }

  private key(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    // Keys belong to fields that take text, and to dialogs.
    const t = e.target as HTMLElement | null;
    if (t && t.closest('textarea, select, dialog, [contenteditable]')) return;
    if (t instanceof HTMLInputElement && !['checkbox', 'radio', 'color', 'button', 'submit'].includes(t.type)) return;
    const view = VIEWS.find(([, , k]) => k === e.key);
    if (view) {
      this.grid.changeView(view[0]);
    } else if (e.key === 't') {
      this.grid.today();
    } else if (e.key === 'n' || e.key === 'j' || e.key === 'ArrowRight' && e.shiftKey) {
      this.grid.next();
    } else if (e.key === 'p' || e.key === 'k' || e.key === 'ArrowLeft' && e.shiftKey) {
      this.grid.prev();
    } else if (e.key === 'c') {
      this.createAt(null);
    } else {
      return;
    }
    e.preventDefault();
  }

  private reloading: Promise<void> = Promise.resolve();

  /** Loads the calendar list and makes the grid's sources match it; one load at a time. */
  reloadCalendars(): Promise<void> {
    this.reloading = this.reloading.then(() => this.loadCalendars());
    return this.reloading;
  }

  private async loadCalendars(): Promise<void> {
    let cals: Calendar[];
    try {
      cals = await this.api.calendars();
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
    this.calendars = cals;
    this.drawCalendarList();
    const want = new Map(cals.filter((c) => !this.hidden.has(c.id)).map((c) => [c.id, c]));
    for (const src of this.grid.getEventSources()) {
      const c = want.get(src.id);
      if (!c || this.sourceColors.get(src.id) !== c.color || this.sourceRoles.get(src.id) !== c.role) src.remove();
      else want.delete(src.id);
    }
    for (const c of want.values()) this.addSource(c);
  }

  private addSource(c: Calendar): EventSourceApi {
    this.grid.getEventSourceById(c.id)?.remove();
    this.sourceColors.set(c.id, c.color);
    this.sourceRoles.set(c.id, c.role);
    const editable = c.role === 'owner' || c.role === 'writer';
    return this.grid.addEventSource({
      id: c.id,
      color: c.color || '',
      editable,
      events: (info, ok, fail) => {
        this.load(c, info.startStr.slice(0, 10), info.endStr.slice(0, 10)).then(ok, (err) => {
          toast(`${c.display_name}: ${errorText(err)}`, 'error');
          fail(err instanceof Error ? err : new Error(String(err)));
        });
      },
    });
  }

  /** The instances of calendar c from start to end (dates), from the view endpoint. */
  private async load(c: Calendar, start: string, end: string): Promise<EventInput[]> {
    const periods = cover(start, end, this.user.week_start);
    const views = await Promise.all(periods.map((p) => this.api.view(c.id, p.type, p.date, this.zone)));
    // The time from the last of these marks to "almanac:interactive" is
    // how long the grid takes to draw what arrived (docs/benchmarks.md).
    performance.mark('almanac:data', { detail: { calendar: c.id, instances: views.reduce((n, v) => n + v.instances.length, 0) } });
    const seen = new Set<string>();
    const unique: ViewInstance[] = [];
    for (const v of views) {
      for (const inst of v.instances) {
        const key = inst.id ?? `${inst.start_utc}/${inst.end_utc}`;
        if (!seen.has(key)) {
          seen.add(key);
          unique.push(inst);
        }
      }
    }
    const item = (inst: ViewInstance) => ({
      inst,
      start: inst.all_day ? inst.start : inst.start.slice(0, 19),
      end: inst.all_day ? inst.end : inst.end.slice(0, 19),
      allDay: inst.all_day,
    });
    const type = this.grid.view.type;
    if (type === 'multiMonthYear') {
      return countByDay(unique.map(item)).map((m) => moreEvent(c, m.date, m.count, true));
    }
    let list = unique.map(item);
    const out: EventInput[] = [];
    if (type === 'dayGridMonth') {
      const { keep, more } = summariseMonth(list, MONTH_PER_DAY);
      list = keep;
      out.push(...more.map((m) => moreEvent(c, m.date, m.count, false)));
    }
    const editable = c.role === 'owner' || c.role === 'writer';
    for (const { inst } of list) {
      const color = inst.color && inst.color !== c.color ? inst.color : undefined;
      out.push({
        ...(color ? { backgroundColor: color, borderColor: color } : {}),
        id: inst.id,
        title: inst.title ?? (inst.busy ? (inst.busy === 'tentative' ? 'Busy (tentative)' : 'Busy') : ''),
        start: inst.all_day ? inst.start : inst.start.slice(0, 19),
        end: inst.all_day ? inst.end : inst.end.slice(0, 19),
        allDay: inst.all_day,
        editable: editable && !!inst.id,
        classNames: [inst.status === 'cancelled' ? 'is-cancelled' : '', inst.status === 'tentative' || inst.busy === 'tentative' ? 'is-tentative' : '',
          inst.transparency === 'transparent' ? 'is-free' : ''].filter(Boolean),
        extendedProps: { inst, calendarId: c.id },
      });
    }
    return out;
  }

  /** Refetches one calendar's instances soon (changes come in bursts). */
  refetch(calendarID?: string): void {
    const key = calendarID ?? '*';
    if (this.refetchTimers.has(key)) return;
    this.refetchTimers.set(key, window.setTimeout(() => {
      this.refetchTimers.delete(key);
      if (calendarID) this.grid.getEventSourceById(calendarID)?.refetch();
      else this.grid.refetchEvents();
    }, 80));
  }

  private drawCalendarList(): void {
    const mine = this.calendars.filter((c) => c.owner.id === this.user.id);
    const others = this.calendars.filter((c) => c.owner.id !== this.user.id);
    const item = (c: Calendar) => {
      const box = h('input', { type: 'checkbox', checked: !this.hidden.has(c.id), 'aria-label': `Show ${c.display_name}` });
      box.style.accentColor = c.color || '#1a73e8';
      box.addEventListener('change', () => this.setVisible(c, box.checked));
      const color = h('input', { type: 'color', class: 'swatch', value: c.color ? c.color.slice(0, 7) : '#1a73e8',
        'aria-label': `Colour of ${c.display_name}` });
      color.addEventListener('change', () => {
        void this.api.updateCalendar(c.id, { color: color.value }).then(() => this.reloadCalendars(), (err) => toast(errorText(err), 'error'));
      });
      const actions = h('span', { class: 'cal-actions' });
      if (c.role === 'owner') {
        append(actions, h('button', { type: 'button', class: 'icon', 'aria-label': `Share ${c.display_name}`, title: 'Share',
          onclick: () => shareDialog(this, c) }, '⇪'));
      }
      append(actions, h('button', { type: 'button', class: 'icon', 'aria-label': `Settings of ${c.display_name}`, title: 'Calendar settings',
        onclick: () => this.editCalendar(c) }, '✎'));
      const owner = c.owner.id === this.user.id ? null : h('span', { class: 'cal-owner' }, c.owner.display_name || c.owner.name);
      return h('li', { 'data-calendar': c.id },
        h('label', { class: 'cal-name' }, box, h('span', {}, c.display_name), owner), color, actions);
    };
    replace(this.calList, ...mine.map(item));
    if (others.length > 0) {
      append(this.calList, h('li', { class: 'cal-group', role: 'presentation' }, 'Shared with me'), ...others.map(item));
    }
  }

  private setVisible(c: Calendar, visible: boolean): void {
    if (visible) this.hidden.delete(c.id);
    else this.hidden.add(c.id);
    localStorage.setItem(this.hiddenKey(), JSON.stringify([...this.hidden]));
    const src = this.grid.getEventSourceById(c.id);
    if (visible && !src) this.addSource(c);
    if (!visible && src) src.remove();
  }

  private newCalendar(): void {
    this.editCalendar(null);
  }

  private editCalendar(c: Calendar | null): void {
    const name = h('input', { value: c?.display_name ?? '', required: true });
    const color = h('input', { type: 'color', value: c?.color ? c.color.slice(0, 7) : '#0b8043' });
    const desc = h('textarea', { rows: 2, value: c?.description ?? '' });
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'form' }, field('Name', name), field('Colour', color),
      c && c.role !== 'owner' ? null : field('Description', desc), err);
    const buttons = h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Save'));
    if (c) {
      append(buttons, h('button', { type: 'button', class: 'danger', onclick: async () => {
        const leave = c.role !== 'owner';
        const ok = await choose(leave ? 'Leave calendar' : 'Delete calendar',
          leave ? `Stop seeing “${c.display_name}”?` : `Delete “${c.display_name}” and all its events?`,
          [['yes', leave ? 'Leave' : 'Delete']]);
        if (ok !== 'yes') return;
        try {
          await this.api.deleteCalendar(c.id);
          dlg.close();
          await this.reloadCalendars();
        } catch (e) {
          err.textContent = errorText(e);
        }
      } }, c.role === 'owner' ? 'Delete calendar' : 'Leave calendar'));
      if (c.caldav_url) append(form, h('p', { class: 'hint' }, 'CalDAV address: ', h('code', {}, new URL(c.caldav_url, location.href).href)));
    }
    append(form, buttons);
    form.onsubmit = async (e) => {
      e.preventDefault();
      try {
        const body: Partial<Calendar> = { display_name: name.value.trim(), color: color.value };
        if (!c || c.role === 'owner') body.description = desc.value;
        if (c) await this.api.updateCalendar(c.id, body);
        else await this.api.createCalendar(body);
        dlg.close();
        await this.reloadCalendars();
      } catch (e) {
        err.textContent = errorText(e);
      }
    };
    const dlg = modal(c ? 'Calendar settings' : 'New calendar', form);
    name.focus();
  }

  private settings(): void {
    const zones = zoneNames();
    const zone = h('input', { value: this.zone, list: 'zones', autocomplete: 'off' });
    const dl = h('datalist', { id: 'zones' }, ...zones.map((z) => h('option', { value: z })));
    const week = select([['0', 'Sunday'], ['1', 'Monday'], ['6', 'Saturday']], String(this.user.week_start));
    const notes = h('button', { type: 'button', onclick: () => void requestNotifications() },
      'Allow browser notifications for reminders');
    const err = h('p', { class: 'error', role: 'alert' });
    const browser = browserZone();
    const form = h('form', { class: 'form' },
      field('Time zone', zone, `This browser is in ${browser} (${offsetLabel(offsetAt(Date.now(), browser))}).`), dl,
      field('Week starts on', week),
      h('div', { class: 'field' }, notes,
        h('p', { class: 'hint' }, `Notifications: ${'Notification' in window ? Notification.permission : 'not supported'}`)),
      err,
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Save')));
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (!isZone(zone.value)) {
        err.textContent = 'Unknown time zone.';
        return;
      }
      try {
        this.user = await this.api.updateMe(this.user.id, { time_zone: zone.value, week_start: Number(week.value) });
        dlg.close();
        location.reload();
      } catch (e) {
        err.textContent = errorText(e);
      }
    };
    const dlg = modal('Settings', form);
  }

  /** Opens the editor for a new event (at a selected range, or the next hour). */
  createAt(sel: { start: Date; end: Date; allDay: boolean } | null): void {
    if (this.writable().length === 0) {
      toast('You have no calendar you may add events to.', 'error');
      return;
    }
    let draft: Draft;
    if (sel) {
      draft = { start: sel.start, end: sel.end, allDay: sel.allDay };
    } else {
      const base = this.grid.getDate();
      const now = this.now();
      const d = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), now.getUTCHours() + 1));
      draft = { start: d, end: new Date(d.getTime() + 3600000), allDay: false };
    }
    openEventEditor(this, { draft });
  }

  private openEvent(ev: EventApi): void {
    const inst = ev.extendedProps.inst as ViewInstance;
    if (!inst.id) {
      toast('You may see only that this time is busy.');
      return;
    }
    openEventEditor(this, { id: inst.id, inst, calendarId: ev.extendedProps.calendarId as string });
  }

  private async moved(ev: EventApi, old: EventApi, revert: () => void): Promise<void> {
    const inst = ev.extendedProps.inst as ViewInstance;
    let scope: Scope | undefined;
    if (inst.recurring) {
      const s = await askScope('Move recurring event');
      if (!s) {
        revert();
        return;
      }
      scope = s;
    }
    try {
      await moveEvent(this, inst.id!, ev, old, scope);
      this.refetch(ev.extendedProps.calendarId as string);
    } catch (err) {
      revert();
      toast(errorText(err), 'error');
    }
  }

  stop(): void {
    this.stream?.close();
    this.grid.destroy();
  }
}

/** The "this event / this and following / all events" question. */
export function askScope(title: string): Promise<Scope | null> {
  return choose<Scope>(title, 'This event repeats. Which events should change?', [
    ['this', 'This event'],
    ['following', 'This and following events'],
    ['all', 'All events'],
  ]);
}

/**
 * A day's summary in place of its events: "+N more" in a month, the
 * number of events in a year. It opens the day.
 */
function moreEvent(c: Calendar, date: string, count: number, year: boolean): EventInput {
  return {
    id: `more:${c.id}:${date}`,
    title: year ? String(count) : `+${count} more`,
    start: `${date}T23:59:00`,
    end: `${date}T23:59:30`,
    allDay: false,
    display: 'list-item',
    editable: false,
    classNames: [year ? 'day-count' : 'day-more'],
    extendedProps: { more: count, date, calendarId: c.id, color: c.color || '#1a73e8' },
  };
}

/** What an event shows in the grid: text nodes only. */
function eventNodes(ev: EventApi, timeText: string, viewType: string, color: string): Node[] {
  const more = ev.extendedProps.more as number | undefined;
  if (more !== undefined) {
    const title = h('span', { class: 'ev-title' }, ev.title);
    if (viewType === 'multiMonthYear') title.style.background = ev.extendedProps.color as string;
    return [h('div', { class: 'ev' }, title)];
  }
  const inst = ev.extendedProps.inst as ViewInstance | undefined;
  const title = h('span', { class: 'ev-title' }, ev.title || (inst?.busy ? 'Busy' : '(No title)'));
  const nodes: Node[] = [];
  if (!ev.allDay && viewType.startsWith('dayGrid')) {
    // A timed event in a month is a line with a dot of its colour.
    const dot = h('span', { class: 'ev-dot', 'aria-hidden': 'true' });
    dot.style.background = color;
    nodes.push(dot);
  }
  if (timeText && !ev.allDay) nodes.push(h('span', { class: 'ev-time' }, timeText));
  nodes.push(title);
  if (inst?.recurring) nodes.push(h('span', { class: 'ev-recur', 'aria-hidden': 'true', title: 'Repeats' }, '↻'));
  if (inst?.location && viewType.startsWith('timeGrid')) nodes.push(h('span', { class: 'ev-loc' }, inst.location));
  return [h('div', { class: 'ev' }, ...nodes)];
}

/** Runs fn after the browser has painted the current frame. */
function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    return err.fields.length > 0 ? err.fields.map((f) => `${f.field}: ${f.message}`).join('; ') : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function requestNotifications(): Promise<void> {
  if (!('Notification' in window)) {
    toast('This browser cannot show notifications.', 'error');
    return;
  }
  const p = await Notification.requestPermission();
  toast(p === 'granted' ? 'Reminders will show as notifications.' : 'Notifications are off; reminders show here instead.');
}
