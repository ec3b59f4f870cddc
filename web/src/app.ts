// The signed-in application: the top bar, the calendar list, the grid and
// the pages beside it (search results, settings), kept current by the
// change stream. Shared state lives in state.ts; the dialogs import that,
// never this module.

import { Calendar as Grid, type EventApi, type EventContentArg, type EventInput } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import interactionPlugin from '@fullcalendar/interaction';
import listPlugin from '@fullcalendar/list';
import multiMonthPlugin from '@fullcalendar/multimonth';
import timeGridPlugin from '@fullcalendar/timegrid';

import type { Calendar, Scope, ViewInstance } from './api';
import { arrange, truncatedNote, type Loaded, type Shown } from './arrange';
import { append, h, replace, toast } from './dom';
import { errorText } from './errors';
import { askScope, moveEvent, openEventEditor, type Draft } from './eventdialog';
import { clock, clockRange, hourLabel, shortClock, shortPeriod } from './format';
import { InboxButton } from './inbox';
import { quickCreate } from './quick';
import { cover } from './range';
import { parseRoute, routePath, type Route } from './route';
import { SearchPage } from './search';
import { readOnlySource, type State } from './state';
import { Stream } from './stream';
import { countByDay, summariseMonth } from './summary';
import { dateString, wallAt, wallOf } from './tz';
import { undoLast } from './undo';

/** The views: FullCalendar's type, label, key. */
const VIEW_LABELS: [string, string, string][] = [
  ['timeGridDay', 'Day', 'd'],
  ['timeGridThreeDay', '3 days', 'x'],
  ['timeGridWeek', 'Week', 'w'],
  ['dayGridMonth', 'Month', 'm'],
  ['multiMonthYear', 'Year', 'y'],
  ['listWeek', 'Schedule', 'a'],
];

const HIDDEN_KEY = 'almanac.hidden';
/** Timed events a month cell shows before "+N more" (per calendar). */
const MONTH_PER_DAY = 4;
const VIEW_KEY = 'almanac.view';
/** Below this width the phone layout applies (styles.css agrees). */
const PHONE = '(max-width: 700px)';

export class App {
  readonly state: State;
  grid!: Grid;
  private hidden: Set<string>;
  private sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': 'Calendars and views' });
  private calList = h('ul', { class: 'cal-list' });
  private title = h('h2', { class: 'period', 'aria-live': 'polite' });
  private periodButton = h('button', { type: 'button', class: 'period-button', 'aria-label': 'Choose a date' });
  private datePicker = h('input', { type: 'date', class: 'date-picker', 'aria-label': 'Go to date' });
  private viewButtons: HTMLButtonElement[] = [];
  private menuButton!: HTMLButtonElement;
  private gridEl = h('div', { class: 'grid', id: 'grid' });
  private pageEl = h('div', { class: 'page', hidden: true });
  /** Says that the server cut a series in the range drawn (truncatedNote). */
  private cutNote = h('p', { class: 'cut-note', role: 'status', hidden: true });
  private stream?: Stream;
  private inbox: InboxButton;
  private search: SearchPage;
  /** The instances of each calendar for the range drawn, by calendar, until it changes. */
  private cache = new Map<string, { range: string; instances: ViewInstance[]; truncated: boolean }>();
  private refetchTimer = 0;
  private calendarsSig = '';
  private route: Route;
  /** Set while the grid follows the address (Back, Forward), so that no new entry is made. */
  private following = false;
  private signOut: () => void;
  private off: (() => void)[] = [];

  constructor(root: HTMLElement, state: State, signOut: () => void, calendars?: Promise<Calendar[]>) {
    this.state = state;
    this.signOut = signOut;
    this.hidden = new Set<string>(JSON.parse(localStorage.getItem(this.hiddenKey()) ?? '[]') as string[]);
    this.inbox = new InboxButton(state);
    this.search = new SearchPage(state, (q) => this.navigate({ page: 'search', q }), () => this.closePage());
    this.route = parseRoute(location.pathname, location.search);
    // Asked for before the grid is drawn, which takes a while, so that
    // the answers arrive meanwhile.
    const ready = Promise.all([state.reloadCalendars(calendars), state.refreshInvitations().catch(() => {})]);
    this.render(root, ready);
  }

  /** Where the calendars this user hid are remembered (per user: a browser may be shared). */
  private hiddenKey(): string {
    return `${HIDDEN_KEY}.${this.state.user.id}`;
  }

  private phone(): boolean {
    return window.matchMedia(PHONE).matches;
  }

  private render(root: HTMLElement, ready: Promise<unknown>): void {
    const st = this.state;
    document.body.dataset.page = this.route.page;
    this.menuButton = h('button', { type: 'button', class: 'icon menu', 'aria-label': 'Show calendars', 'aria-expanded': 'false',
      'aria-controls': 'sidebar', onclick: () => this.showSidebar(!document.body.classList.contains('sidebar-open')) }, '☰');
    const header = h('header', { class: 'top' },
      this.menuButton,
      h('h1', { class: 'brand' }, 'Almanac'),
      this.toolbar(),
      this.search.box,
      this.viewGroup('views top-views'),
      h('div', { class: 'account' },
        this.inbox.button,
        h('button', { type: 'button', class: 'icon settings-button', 'aria-label': 'Settings', title: 'Settings',
          onclick: () => this.navigate({ page: 'settings' }) }, '⚙'),
        h('button', { type: 'button', class: 'sign-out', onclick: () => this.signOut() }, 'Sign out')));
    const create = h('button', { type: 'button', class: 'primary create', onclick: () => this.createAt(null) }, '+ Create');
    replace(this.sidebar,
      h('button', { type: 'button', class: 'icon sidebar-close', 'aria-label': 'Hide calendars', onclick: () => this.showSidebar(false) }, '×'),
      create,
      h('div', { class: 'drawer-only' }, h('h2', { class: 'section' }, 'View'), this.viewGroup('views drawer-views')),
      h('h2', { class: 'section' }, 'Calendars'),
      this.calList,
      h('div', { class: 'cal-add' },
        h('button', { type: 'button', class: 'link', onclick: () => void lazy.calendars().then((m) => m.calendarDialog(st, null)) }, '+ New calendar'),
        h('button', { type: 'button', class: 'link', onclick: () => void lazy.calendars().then((m) => m.subscribeDialog(st)) }, '+ Subscribe to a calendar')),
      h('div', { class: 'drawer-only drawer-account' },
        h('button', { type: 'button', class: 'link', onclick: () => { this.showSidebar(false); this.navigate({ page: 'settings' }); } }, 'Settings'),
        h('button', { type: 'button', class: 'link', onclick: () => this.signOut() }, 'Sign out')),
      h('p', { class: 'zone-note' }, 'Times shown in ', h('span', { class: 'zone-name' }, st.zone)),
      h('p', { class: 'keys-note' }, 'Keys: t today, n/p next/previous, d x w m y a views, c create, / search, z undo.'));
    const fab = h('button', { type: 'button', class: 'fab', 'aria-label': 'Create event', title: 'Create event',
      onclick: () => this.createAt(null) }, '+');
    replace(root,
      h('a', { href: '#grid', class: 'skip' }, 'Skip to calendar'),
      header,
      h('div', { class: 'body' }, this.sidebar, h('main', { class: 'main', 'aria-label': 'Calendar' }, this.gridEl, this.pageEl, this.cutNote)),
      fab,
      h('div', { class: 'scrim', onclick: () => this.showSidebar(false) }));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && document.body.classList.contains('sidebar-open') && !document.querySelector('dialog[open]')) this.showSidebar(false);
    });

    // The first dates the grid shows replace the address rather than add to the history.
    this.following = true;
    this.grid = new Grid(this.gridEl, this.gridOptions());
    this.grid.render();
    this.following = false;
    document.addEventListener('keydown', (e) => this.key(e));
    window.addEventListener('resize', () => this.grid.updateSize());
    window.addEventListener('popstate', () => this.follow(parseRoute(location.pathname, location.search)));

    this.off.push(
      st.on('calendars', () => {
        this.drawCalendarList();
        // Drawn again only when what the grid shows of them changed.
        const sig = st.calendars.map((c) => `${c.id}:${c.color}:${c.role}`).join(',');
        if (sig !== this.calendarsSig) this.refetchNow();
        this.calendarsSig = sig;
      }),
      st.on('invitations', () => this.refetchNow()),
      st.on('refetch', (id) => this.refetch(id)),
      st.on('open-event', (id) => { if (id) void this.openByID(id); }),
    );
    st.api.onReplayed = (w, err) => {
      if (err) toast(`${w.label.charAt(0).toUpperCase()}${w.label.slice(1)} could not be saved: ${errorText(err)}`, 'error');
      else toast(`Saved ${w.label} now that the server answers.`);
      this.refetch();
    };
    window.addEventListener('online', () => void st.api.replay());
    void st.api.replay();
    void ready.then(() => {
      // One source for every calendar, once they and the invitations are
      // known: what one calendar shows may depend on another's, and on
      // the user's answers (see arrange.ts).
      this.drawCalendarList();
      this.calendarsSig = st.calendars.map((c) => `${c.id}:${c.color}:${c.role}`).join(',');
      this.grid.addEventSource({ id: 'calendars', events: (info, ok, fail) => {
        this.load(info.startStr.slice(0, 10), info.endStr.slice(0, 10)).then(ok, (err) => {
          toast(errorText(err), 'error');
          fail(err instanceof Error ? err : new Error(String(err)));
        });
      } });
      this.stream = new Stream(st);
      this.follow(this.route, true);
    });
  }

  private gridOptions(): ConstructorParameters<typeof Grid>[1] {
    const st = this.state;
    const stored = localStorage.getItem(this.phone() ? `${VIEW_KEY}.phone` : VIEW_KEY);
    const known = (v: string | null | undefined) => !!v && VIEW_LABELS.some(([t]) => t === v);
    const initial = known(this.route.view) ? this.route.view! : known(stored) ? stored! : this.phone() ? 'timeGridThreeDay' : 'timeGridWeek';
    return {
      plugins: [dayGridPlugin, timeGridPlugin, listPlugin, multiMonthPlugin, interactionPlugin],
      timeZone: 'UTC', // the grid shows the viewer's wall clock; see tz.ts
      now: () => st.now(),
      initialView: initial,
      initialDate: this.route.date,
      headerToolbar: false,
      height: '100%',
      firstDay: st.user.week_start,
      nowIndicator: true,
      // Each view asks for its own data: a month or a year is summarised
      // (summary.ts), so it cannot be reused for the weeks and days in it.
      lazyFetching: false,
      selectable: true,
      selectMirror: true,
      selectLongPressDelay: 400,
      editable: true,
      eventInteractive: true,
      dayMaxEvents: true,
      navLinks: true,
      scrollTime: '08:00:00',
      // Overlapping events side by side, each with its own column, rather
      // than drawn over each other.
      slotEventOverlap: false,
      eventMinHeight: 18,
      eventShortHeight: 34,
      views: {
        timeGridThreeDay: { type: 'timeGrid', duration: { days: 3 }, dateIncrement: { days: 3 } },
        // A year shows how many events each day has (see summary.ts);
        // where a cell is too small even for that, a dot opens the day.
        multiMonthYear: { multiMonthMaxColumns: 4, multiMonthMinWidth: 220 },
      },
      eventTimeFormat: (arg) => {
        const s = arg.start;
        const e = arg.end;
        return e && (e.hour !== s.hour || e.minute !== s.minute) ? clockRange({ h: s.hour, mi: s.minute }, { h: e.hour, mi: e.minute }, st.hour12)
          : clock(s.hour, s.minute, st.hour12);
      },
      slotLabelContent: (arg) => hourLabel(arg.date.getUTCHours(), arg.date.getUTCMinutes(), st.hour12),
      moreLinkContent: (arg) => ({ domNodes: [document.createTextNode(arg.view.type === 'multiMonthYear' ? '•' : arg.text)] }),
      select: (info) => {
        const sel = { start: info.start, end: info.end, allDay: info.allDay };
        // Beside what was selected, which stays in view.
        const mark = this.gridEl.querySelector('.fc-event-mirror, .fc-highlight');
        const at = mark ? mark.getBoundingClientRect()
          : info.jsEvent ? new DOMRect(info.jsEvent.clientX, info.jsEvent.clientY, 0, 0) : null;
        if (st.writable().length === 0) {
          this.grid.unselect();
          toast('You have no calendar you may add events to.', 'error');
          return;
        }
        quickCreate(st, sel, at, () => this.grid.unselect(), (draft) => this.openEditor(draft));
      },
      dateClick: (info) => {
        // A tap on a touch screen does not select; it creates, as a click does.
        if ((info.jsEvent as PointerEvent).pointerType !== 'touch' || st.writable().length === 0) return;
        const end = new Date(info.date.getTime() + (info.allDay ? 86400000 : 3600000));
        this.grid.select(info.date, end);
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
      eventContent: (arg) => ({ domNodes: this.eventNodes(arg) }),
      eventDidMount: (arg) => {
        const inst = arg.event.extendedProps.inst as ViewInstance | undefined;
        const cal = st.calendar(arg.event.extendedProps.calendarId as string);
        const more = arg.event.extendedProps.more as number | undefined;
        if (more !== undefined) {
          const label = `${more} ${arg.view.type === 'multiMonthYear' ? '' : 'more '}event${more === 1 ? '' : 's'} in ${cal?.display_name ?? ''} on ${arg.event.extendedProps.date as string}`;
          arg.el.setAttribute('aria-label', label);
          arg.el.title = label;
          return;
        }
        const reply = arg.event.extendedProps.reply as string | undefined;
        const label = [arg.event.title || 'Busy', arg.timeText, inst?.location, cal?.display_name,
          reply === 'declined' ? 'declined' : reply === 'needs-action' ? 'not answered' : reply === 'tentative' ? 'maybe' : ''].filter(Boolean).join(', ');
        arg.el.setAttribute('aria-label', label);
        arg.el.title = label;
      },
      datesSet: (info) => {
        this.title.textContent = info.view.title;
        const t = info.view.type;
        this.periodButton.textContent = shortPeriod(info.startStr.slice(0, 10), info.endStr.slice(0, 10),
          t === 'multiMonthYear' ? 'year' : t === 'dayGridMonth' ? 'month' : t === 'timeGridDay' ? 'day' : 'days', st.now().getUTCFullYear());
        if (t === 'dayGridMonth') {
          // The month's own dates, not the grid's weeks around it.
          this.periodButton.textContent = shortPeriod(dateString(wallOf(info.view.currentStart)), dateString(wallOf(info.view.currentEnd)), 'month', 0);
        }
        this.periodButton.setAttribute('aria-label', `${info.view.title}: choose a date`);
        this.datePicker.value = dateString(wallAt(this.grid.getDate().getTime(), 'UTC'));
        for (const b of this.viewButtons) b.setAttribute('aria-pressed', String(b.dataset.view === info.view.type));
        localStorage.setItem(this.phone() ? `${VIEW_KEY}.phone` : VIEW_KEY, info.view.type);
        if (this.route.page === 'calendar') {
          this.setRoute({ page: 'calendar', view: info.view.type, date: dateString(wallOf(info.view.currentStart)), event: this.route.event });
        }
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
    };
  }

  private toolbar(): HTMLElement {
    const nav = (label: string, aria: string, cls: string, fn: () => void) =>
      h('button', { type: 'button', class: cls, 'aria-label': aria, title: aria, onclick: fn }, label);
    this.datePicker.addEventListener('change', () => {
      if (this.datePicker.value) this.grid.gotoDate(this.datePicker.value);
    });
    this.periodButton.addEventListener('click', () => {
      try {
        this.datePicker.showPicker();
      } catch {
        this.datePicker.focus();
      }
    });
    return h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Calendar navigation' },
      nav('Today', 'Today', 'today', () => this.grid.today()),
      nav('‹', 'Previous period', 'prev', () => this.grid.prev()),
      nav('›', 'Next period', 'next', () => this.grid.next()),
      this.title,
      this.periodButton,
      this.datePicker);
  }

  private viewGroup(cls: string): HTMLElement {
    const group = h('div', { class: cls, role: 'group', 'aria-label': 'View' });
    for (const [v, label, key] of VIEW_LABELS) {
      const b = h('button', { type: 'button', 'aria-pressed': 'false', 'aria-keyshortcuts': key, 'data-view': v,
        onclick: () => { this.showSidebar(false); this.showView(v); } }, label);
      this.viewButtons.push(b);
      group.appendChild(b);
    }
    return group;
  }

  private showSidebar(open: boolean): void {
    document.body.classList.toggle('sidebar-open', open);
    this.menuButton.setAttribute('aria-expanded', String(open));
    if (open) this.sidebar.querySelector<HTMLElement>('button:not(.sidebar-close), input')?.focus();
    else if (this.sidebar.contains(document.activeElement)) this.menuButton.focus();
  }

  private showView(type: string, date?: string): void {
    if (this.route.page !== 'calendar') this.navigate({ page: 'calendar', view: type, date });
    else if (date) this.grid.changeView(type, date);
    else this.grid.changeView(type);
  }

  /** Goes to a route, as a new entry of the history. */
  navigate(r: Route): void {
    history.pushState(null, '', routePath(r));
    this.follow(r);
  }

  /** Shows what a route names, without a new history entry. */
  private follow(r: Route, first = false): void {
    this.route = r;
    this.following = true;
    try {
      if (r.page === 'calendar') {
        this.pageEl.hidden = true;
        this.gridEl.hidden = false;
        document.body.dataset.page = 'calendar';
        const type = r.view ?? this.grid.view.type;
        if (type !== this.grid.view.type || (r.date && r.date !== dateString(wallOf(this.grid.view.currentStart)))) {
          this.grid.changeView(type, r.date);
        }
        this.grid.updateSize();
        if (r.event && first) void this.openByID(r.event);
      } else {
        this.gridEl.hidden = true;
        this.pageEl.hidden = false;
        document.body.dataset.page = r.page;
        if (r.page === 'settings') {
          replace(this.pageEl);
          void lazy.settings().then((m) => {
            if (this.route === r) replace(this.pageEl, new m.SettingsPage(this.state, () => this.closePage(), this.signOut).render());
          });
        } else {
          replace(this.pageEl, this.search.render(r.q ?? ''));
        }
      }
    } finally {
      this.following = false;
    }
    if (first) history.replaceState(null, '', routePath(this.currentRoute()));
  }

  /** The route of what the grid shows now. */
  private currentRoute(): Route {
    if (this.route.page !== 'calendar') return this.route;
    return { page: 'calendar', view: this.grid.view.type, date: dateString(wallOf(this.grid.view.currentStart)), event: this.route.event };
  }

  /** Records the grid's view and date in the address: a new entry when a person moved it. */
  private setRoute(r: Route): void {
    this.route = r;
    const path = routePath(r);
    if (path === location.pathname + location.search) return;
    if (this.following) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
  }

  /** Back to the calendar from a page, where Back would go if it came from there. */
  private closePage(): void {
    this.navigate({ page: 'calendar', view: this.grid.view.type, date: dateString(wallOf(this.grid.view.currentStart)) });
  }

  private key(e: KeyboardEvent): void {
    if (e.altKey) return;
    // A field of a dialog just closed may still be the target.
    const t = e.target instanceof HTMLElement && e.target.isConnected ? e.target : null;
    const typing = !!t && (!!t.closest('textarea, select, dialog, [contenteditable], .quick') ||
      (t instanceof HTMLInputElement && !['checkbox', 'radio', 'color', 'button', 'submit'].includes(t.type)));
    if ((e.ctrlKey || e.metaKey) && e.key === 'z' && !typing) {
      if (undoLast()) e.preventDefault();
      return;
    }
    if (e.ctrlKey || e.metaKey || typing) return;
    const view = VIEW_LABELS.find(([, , k]) => k === e.key);
    const onGrid = this.route.page === 'calendar';
    if (view) {
      this.showView(view[0]);
    } else if (e.key === 't' && onGrid) {
      this.grid.today();
    } else if ((e.key === 'n' || e.key === 'j' || e.key === 'ArrowRight' && e.shiftKey) && onGrid) {
      this.grid.next();
    } else if ((e.key === 'p' || e.key === 'k' || e.key === 'ArrowLeft' && e.shiftKey) && onGrid) {
      this.grid.prev();
    } else if (e.key === 'c') {
      this.createAt(null);
    } else if (e.key === '/') {
      this.search.focus();
    } else if (e.key === 'z') {
      if (!undoLast()) return;
    } else {
      return;
    }
    e.preventDefault();
  }

  /** Draws the grid again from the cache (calendars shown, colours, answers). */
  private refetchNow(): void {
    this.grid.getEventSourceById('calendars')?.refetch();
  }

  /** Refetches one calendar's instances (or all) soon: changes come in bursts. */
  refetch(calendarID?: string): void {
    if (calendarID) this.cache.delete(calendarID);
    else this.cache.clear();
    if (this.refetchTimer) return;
    this.refetchTimer = window.setTimeout(() => {
      this.refetchTimer = 0;
      this.refetchNow();
    }, 80);
  }

  /** The instances of every calendar shown from start to end (dates), from the view endpoint. */
  private async load(start: string, end: string): Promise<EventInput[]> {
    const st = this.state;
    // What is drawn follows from the range: the grid reports its new view
    // only once the data for it are in.
    const days = (Date.parse(end) - Date.parse(start)) / 86400000;
    const type = days > 300 ? 'multiMonthYear' : days >= 28 ? 'dayGridMonth' : 'days';
    const range = `${start}/${end}/${st.zone}`;
    const shown = st.calendars.filter((c) => !this.hidden.has(c.id));
    const loaded: Loaded[] = await Promise.all(shown.map(async (cal) => {
      const hit = this.cache.get(cal.id);
      if (hit && hit.range === range) return { cal, instances: hit.instances, truncated: hit.truncated };
      const periods = cover(start, end, st.user.week_start);
      let views;
      try {
        views = await Promise.all(periods.map((p) => st.api.view(cal.id, p.type, p.date, st.zone)));
      } catch (err) {
        toast(`${cal.display_name}: ${errorText(err)}`, 'error');
        return { cal, instances: [] };
      }
      const seen = new Set<string>();
      const instances: ViewInstance[] = [];
      let truncated = false;
      for (const v of views) {
        truncated ||= !!v.truncated;
        for (const inst of v.instances) {
          const key = inst.id ?? `${inst.start_utc}/${inst.end_utc}`;
          if (!seen.has(key)) {
            seen.add(key);
            instances.push(inst);
          }
        }
      }
      this.cache.set(cal.id, { range, instances, truncated });
      return { cal, instances, truncated };
    }));
    const note = truncatedNote(loaded);
    this.cutNote.textContent = note;
    this.cutNote.hidden = note === '';
    // The time from this mark to "almanac:interactive" is how long the
    // grid takes to draw what arrived (docs/benchmarks.md).
    performance.mark('almanac:data', { detail: { calendars: loaded.length, instances: loaded.reduce((n, l) => n + l.instances.length, 0) } });
    const items = arrange(loaded, st.invitations, st.user.id);
    const byCal = new Map<string, Shown[]>();
    for (const s of items) {
      let list = byCal.get(s.cal.id);
      if (!list) byCal.set(s.cal.id, (list = []));
      list.push(s);
    }
    const out: EventInput[] = [];
    for (const [, list] of byCal) out.push(...this.inputs(list, type));
    return out;
  }

  /** The grid's events for one calendar's instances, summarised in a month or a year. */
  private inputs(list: Shown[], type: string): EventInput[] {
    const cal = list[0].cal;
    const item = (s: Shown) => ({
      s,
      start: s.inst.all_day ? s.inst.start : s.inst.start.slice(0, 19),
      end: s.inst.all_day ? s.inst.end : s.inst.end.slice(0, 19),
      allDay: s.inst.all_day,
    });
    if (type === 'multiMonthYear') {
      return countByDay(list.map(item)).map((m) => moreEvent(cal, m.date, m.count, true));
    }
    let items = list.map(item);
    const out: EventInput[] = [];
    if (type === 'dayGridMonth') {
      const { keep, more } = summariseMonth(items, MONTH_PER_DAY);
      items = keep;
      out.push(...more.map((m) => moreEvent(cal, m.date, m.count, false)));
    }
    const editable = (cal.role === 'owner' || cal.role === 'writer') && !readOnlySource(cal);
    for (const { s } of items) {
      const { inst, reply } = s;
      const color = inst.color && inst.color !== cal.color ? inst.color : cal.color || '#1a73e8';
      out.push({
        backgroundColor: color, borderColor: color,
        id: inst.id,
        title: inst.title ?? (inst.busy ? (inst.busy === 'tentative' ? 'Busy (tentative)' : 'Busy') : ''),
        start: inst.all_day ? inst.start : inst.start.slice(0, 19),
        end: inst.all_day ? inst.end : inst.end.slice(0, 19),
        allDay: inst.all_day,
        editable: editable && !!inst.id,
        classNames: [inst.status === 'cancelled' ? 'is-cancelled' : '',
          inst.status === 'tentative' || inst.busy === 'tentative' || reply === 'tentative' ? 'is-tentative' : '',
          inst.transparency === 'transparent' ? 'is-free' : '',
          reply === 'declined' ? 'is-declined' : '', reply === 'needs-action' ? 'is-pending' : ''].filter(Boolean),
        extendedProps: { inst, calendarId: cal.id, reply },
      });
    }
    return out;
  }

  /**
   * What an event shows in the grid, text nodes only. The title comes
   * first; a short timed event puts its time after the title on the same
   * line, where the title has the room it needs (the time is in the
   * tooltip too).
   */
  private eventNodes(arg: EventContentArg): Node[] {
    const ev = arg.event;
    const viewType = arg.view.type;
    const more = ev.extendedProps.more as number | undefined;
    if (more !== undefined) {
      const title = h('span', { class: 'ev-title' }, ev.title);
      if (viewType === 'multiMonthYear') title.style.background = ev.extendedProps.color as string;
      return [h('div', { class: 'ev' }, title)];
    }
    const inst = ev.extendedProps.inst as ViewInstance | undefined;
    const title = h('span', { class: 'ev-title' }, ev.title || (inst?.busy ? 'Busy' : '(No title)'));
    const nodes: Node[] = [];
    const dayGrid = viewType.startsWith('dayGrid');
    if (!ev.allDay && dayGrid) {
      // A timed event in a month is a line with a dot of its colour.
      const dot = h('span', { class: 'ev-dot', 'aria-hidden': 'true' });
      dot.style.background = ev.backgroundColor;
      nodes.push(dot);
    }
    let time = arg.timeText && !ev.allDay ? h('span', { class: 'ev-time' }, arg.timeText) : null;
    if (dayGrid) {
      if (time && ev.start) time = h('span', { class: 'ev-time' }, shortClock(ev.start.getUTCHours(), ev.start.getUTCMinutes(), this.state.hour12));
      // A month line reads as a list: the time, then what.
      if (time) nodes.push(time);
      nodes.push(title);
    } else {
      nodes.push(title);
      if (inst?.recurring) nodes.push(h('span', { class: 'ev-recur', 'aria-hidden': 'true', title: 'Repeats' }, '↻'));
      if (time) nodes.push(time);
      if (inst?.location && viewType.startsWith('timeGrid')) nodes.push(h('span', { class: 'ev-loc' }, inst.location));
    }
    // How much of it fits: one line (title and time), two (title, time),
    // or more (the title on up to three lines, the time, the place).
    const minutes = !ev.allDay && ev.start && ev.end ? (ev.end.getTime() - ev.start.getTime()) / 60000 : 0;
    const size = minutes === 0 ? '' : minutes < 50 ? ' ev-short' : minutes < 80 ? ' ev-mid' : '';
    return [h('div', { class: `ev${size}` }, ...nodes)];
  }

  private drawCalendarList(): void {
    const st = this.state;
    const mine = st.calendars.filter((c) => c.owner.id === st.user.id && !c.source);
    const subscribed = st.calendars.filter((c) => c.owner.id === st.user.id && c.source);
    const others = st.calendars.filter((c) => c.owner.id !== st.user.id);
    const item = (c: Calendar) => {
      const box = h('input', { type: 'checkbox', checked: !this.hidden.has(c.id), 'aria-label': `Show ${c.display_name}` });
      box.style.accentColor = c.color || '#1a73e8';
      box.addEventListener('change', () => this.setVisible(c, box.checked));
      const color = h('input', { type: 'color', class: 'swatch', value: c.color ? c.color.slice(0, 7) : '#1a73e8',
        'aria-label': `Colour of ${c.display_name}` });
      color.addEventListener('change', () => {
        void st.api.updateCalendar(c.id, { color: color.value }).then(() => st.reloadCalendars(), (err) => toast(errorText(err), 'error'));
      });
      const actions = h('span', { class: 'cal-actions' });
      if (c.role === 'owner' && !c.source) {
        append(actions, h('button', { type: 'button', class: 'icon', 'aria-label': `Share ${c.display_name}`, title: 'Share',
          onclick: () => void lazy.share().then((m) => m.shareDialog(st, c)) }, '⇪'));
      }
      append(actions, h('button', { type: 'button', class: 'icon', 'aria-label': `Settings of ${c.display_name}`, title: 'Calendar settings, import and export',
        onclick: () => void lazy.calendars().then((m) => m.calendarDialog(st, c)) }, '✎'));
      const owner = c.owner.id === st.user.id ? null : h('span', { class: 'cal-owner' }, c.owner.display_name || c.owner.name);
      return h('li', { 'data-calendar': c.id },
        h('label', { class: 'cal-name' }, box, h('span', {}, c.display_name), owner), color, actions);
    };
    replace(this.calList, ...mine.map(item));
    if (subscribed.length > 0) {
      append(this.calList, h('li', { class: 'cal-group', role: 'presentation' }, 'Subscribed'), ...subscribed.map(item));
    }
    if (others.length > 0) {
      append(this.calList, h('li', { class: 'cal-group', role: 'presentation' }, 'Shared with me'), ...others.map(item));
    }
  }

  private setVisible(c: Calendar, visible: boolean): void {
    if (visible) this.hidden.delete(c.id);
    else this.hidden.add(c.id);
    localStorage.setItem(this.hiddenKey(), JSON.stringify([...this.hidden]));
    this.refetchNow();
  }

  /** Opens the editor for a new event (at a selected range, or the next hour). */
  createAt(sel: Draft | null): void {
    const st = this.state;
    if (st.writable().length === 0) {
      toast('You have no calendar you may add events to.', 'error');
      return;
    }
    if (sel) {
      this.openEditor(sel);
      return;
    }
    if (this.route.page !== 'calendar') this.closePage();
    const base = this.grid.getDate();
    const now = st.now();
    const d = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate(), now.getUTCHours() + 1));
    this.openEditor({ start: d, end: new Date(d.getTime() + 3600000), allDay: false });
  }

  private openEditor(draft: Draft): void {
    void openEventEditor(this.state, { draft });
  }

  private openEvent(ev: EventApi): void {
    const inst = ev.extendedProps.inst as ViewInstance;
    if (!inst.id) {
      toast('You may see only that this time is busy.');
      return;
    }
    void this.openByID(inst.id, ev.extendedProps.calendarId as string);
  }

  /** Opens an event by id; the address names it meanwhile, so that it can be linked to. */
  private async openByID(id: string, calendarId?: string): Promise<void> {
    const r = this.currentRoute();
    if (r.page === 'calendar') history.replaceState(null, '', routePath({ ...r, event: id }));
    this.route = { ...r, event: id };
    await openEventEditor(this.state, { id, calendarId }, () => {
      const now = this.currentRoute();
      this.route = { ...now, event: undefined };
      if (now.page === 'calendar') history.replaceState(null, '', routePath(this.route));
    });
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
      await moveEvent(this.state, inst.id!, ev, old, scope);
      this.refetch(ev.extendedProps.calendarId as string);
    } catch (err) {
      revert();
      toast(errorText(err), 'error');
    }
  }

  stop(): void {
    this.stream?.close();
    for (const off of this.off) off();
    this.grid.destroy();
  }
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

/**
 * What a first visit need not load: the settings page, a calendar's
 * settings (import, export, publishing, subscribing) and sharing come
 * when they are first opened.
 */
const lazy = {
  settings: () => import('./settings'),
  calendars: () => import('./calendardialog'),
  share: () => import('./share'),
};

/** Runs fn after the browser has painted the current frame. */
function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}
