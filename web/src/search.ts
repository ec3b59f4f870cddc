// Search: a box in the top bar, and a page of results (/search?q=…) that
// lists the events of all the user's calendars, own and shared, whose
// title, place, description or guests hold the words; a result opens the
// event. The server does the finding (GET /api/v1/events?q=).

import type { CalEvent, EventTime } from './api';
import { h, replace } from './dom';
import { errorText } from './errors';
import { spanText } from './format';
import type { State } from './state';
import { addDays, instantOf, localString, parseWall, wallAt } from './tz';

export class SearchPage {
  readonly box: HTMLElement;
  private input = h('input', { type: 'search', placeholder: 'Search', 'aria-label': 'Search events', autocomplete: 'off', enterkeyhint: 'search' });
  private seq = 0;

  constructor(private st: State, private go: (q: string) => void, private back: () => void) {
    const form = h('form', { class: 'search-box', role: 'search' }, this.input,
      h('button', { type: 'submit', class: 'icon search-go', 'aria-label': 'Search', title: 'Search (/)' }, '⌕'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = this.input.value.trim();
      if (q) this.go(q);
      else this.input.focus();
    });
    this.box = form;
  }

  focus(): void {
    this.input.focus();
    this.input.select();
  }

  /** The results page for q. */
  render(q: string): HTMLElement {
    this.input.value = q;
    const list = h('ul', { class: 'results', 'aria-label': 'Search results' });
    const status = h('p', { class: 'hint', 'aria-live': 'polite' }, q ? 'Searching…' : 'Type words to look for.');
    const page = h('section', { class: 'search-page' },
      h('div', { class: 'page-head' },
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Back to the calendar', title: 'Back to the calendar', onclick: () => this.back() }, '←'),
        h('h2', {}, q ? `Events with “${q}”` : 'Search')),
      status, list);
    if (q) void this.fill(q, list, status);
    return page;
  }

  private async fill(q: string, list: HTMLElement, status: HTMLElement): Promise<void> {
    const seq = ++this.seq;
    let items: CalEvent[];
    try {
      items = (await this.st.api.search(q, this.st.zone)).items;
    } catch (err) {
      if (seq === this.seq) status.textContent = errorText(err);
      return;
    }
    if (seq !== this.seq) return;
    status.textContent = items.length === 0 ? `No events with “${q}”.` : `${items.length} event${items.length === 1 ? '' : 's'}.`;
    const year = this.st.now().getUTCFullYear();
    replace(list, ...items.map((ev) => {
      const cal = this.st.calendar(ev.calendar_id);
      const dot = h('span', { class: 'ev-dot', 'aria-hidden': 'true' });
      dot.style.background = ev.color || this.st.color(ev.calendar_id);
      const when = this.when(ev, year);
      return h('li', {},
        h('button', { type: 'button', class: 'result', onclick: () => this.st.emit('open-event', ev.id) },
          dot,
          h('span', { class: 'result-when' }, when),
          h('span', { class: 'result-title' }, ev.title || '(No title)', ev.recurring_event_id || ev.recurrence?.length ? h('span', { class: 'ev-recur', title: 'Repeats' }, ' ↻') : null),
          h('span', { class: 'result-where' }, [ev.location, cal?.display_name].filter(Boolean).join(' · '))));
    }));
  }

  /** When an event happens, in the viewer's zone. */
  private when(ev: CalEvent, year: number): string {
    if (ev.all_day) return spanText(ev.start.date!, ev.end.date ?? addDays(ev.start.date!, 1), true, this.st.hour12, year);
    return spanText(this.local(ev.start), this.local(ev.end.date_time ? ev.end : ev.start), false, this.st.hour12, year);
  }

  private local(t: EventTime): string {
    const w = parseWall(t.date_time ?? '');
    if (!w) return '';
    if (t.floating) return localString(w);
    return localString(wallAt(instantOf(w, t.time_zone || 'UTC'), this.st.zone));
  }
}
