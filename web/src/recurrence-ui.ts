// The recurrence editor: presets, a custom rule form, and the rule as
// text for anything else.

import { field, h, newID, select } from './dom';
import { describe, formatRRule, parseRRule, preset, WEEKDAYS, weekdayOf, nthWeekday, type Anchor, type Freq, type Recurrence, type Weekday } from './rrule';

const DAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORD = ['', 'first', 'second', 'third', 'fourth', 'fifth'];

type Choice = '' | 'DAILY' | 'WEEKLY' | 'WEEKDAYS' | 'MONTHLY' | 'MONTHLY_WD' | 'YEARLY' | 'CUSTOM';

function presetRule(c: Choice, a: Anchor): Recurrence | null {
  switch (c) {
    case 'DAILY':
    case 'WEEKLY':
    case 'MONTHLY':
    case 'YEARLY':
      return preset(c, a);
    case 'WEEKDAYS':
      return { ...preset('WEEKLY', a), byDay: ['MO', 'TU', 'WE', 'TH', 'FR'] };
    case 'MONTHLY_WD':
      return { ...preset('MONTHLY', a), monthly: 'weekday' };
  }
  return null;
}

/** The recurrence editor; value() is the RRULE value, '' for none. */
export class RecurrenceEditor {
  readonly el: HTMLElement;
  private anchor: Anchor;
  private choice: HTMLSelectElement;
  private custom: HTMLElement;
  private text: HTMLInputElement;
  private summary: HTMLElement;
  private model: Recurrence;
  private raw = false; // the text field holds a rule the form cannot show
  private onchange: () => void;

  constructor(rule: string, anchor: Anchor, onchange: () => void = () => {}) {
    this.anchor = anchor;
    this.onchange = onchange;
    this.choice = h('select', { 'aria-label': 'Repeat' });
    this.custom = h('fieldset', { class: 'custom-rule' });
    this.text = h('input', { class: 'rrule-text', spellcheck: 'false', autocomplete: 'off', placeholder: 'FREQ=WEEKLY;BYDAY=MO,WE' });
    this.summary = h('p', { class: 'hint rule-summary', 'aria-live': 'polite' });
    const parsed = rule ? parseRRule(rule, anchor) : null;
    this.model = parsed ?? preset('WEEKLY', anchor);
    this.fillChoices();
    let c: Choice = '';
    if (rule) {
      c = 'CUSTOM';
      for (const p of ['DAILY', 'WEEKLY', 'WEEKDAYS', 'MONTHLY', 'MONTHLY_WD', 'YEARLY'] as Choice[]) {
        const r = presetRule(p, anchor);
        if (r && formatRRule(r, anchor) === rule.replace(/^RRULE:/i, '')) c = p;
      }
      if (!parsed) this.raw = true;
    }
    this.choice.value = c;
    this.text.value = rule.replace(/^RRULE:/i, '');
    this.choice.addEventListener('change', () => {
      const r = presetRule(this.choice.value as Choice, this.anchor);
      if (r) this.model = r;
      this.raw = false;
      this.sync();
    });
    this.text.addEventListener('input', () => {
      const p = parseRRule(this.text.value, this.anchor);
      this.raw = p === null;
      if (p) this.model = p;
      this.showSummary();
      this.onchange();
    });
    this.text.addEventListener('change', () => this.drawCustom());
    this.el = h('div', { class: 'recurrence' }, field('Repeat', this.choice), this.custom, this.summary);
    this.sync();
  }

  private fillChoices(): void {
    const a = this.anchor.start;
    const wd = weekdayOf(a);
    const { n, last } = nthWeekday(a);
    const opts: [Choice, string][] = [
      ['', 'Does not repeat'],
      ['DAILY', 'Daily'],
      ['WEEKLY', `Weekly on ${DAY_LONG[wd]}`],
      ['WEEKDAYS', 'Every weekday (Monday to Friday)'],
      ['MONTHLY', `Monthly on day ${a.d}`],
      ['MONTHLY_WD', `Monthly on the ${last && n === 5 ? 'last' : ORD[n]} ${DAY_LONG[wd]}`],
      ['YEARLY', `Annually on ${MONTHS[a.m - 1]} ${a.d}`],
      ['CUSTOM', 'Custom…'],
    ];
    const v = this.choice.value;
    this.choice.replaceChildren(...opts.map(([val, label]) => h('option', { value: val }, label)));
    this.choice.value = v;
  }

  /** Moves the rule to a new first start (the presets follow it). */
  setAnchor(a: Anchor): void {
    this.anchor = a;
    this.fillChoices();
    const r = presetRule(this.choice.value as Choice, a);
    if (r) this.model = r;
    else if (this.model.freq === 'WEEKLY' && this.model.byDay.length === 1) this.model.byDay = [WEEKDAYS[weekdayOf(a.start)]];
    this.sync();
  }

  private sync(): void {
    if (!this.raw && this.choice.value !== '') this.text.value = formatRRule(this.model, this.anchor);
    this.drawCustom();
    this.showSummary();
    this.onchange();
  }

  private showSummary(): void {
    // A preset says what it is in the list already.
    if (this.choice.value !== 'CUSTOM') this.summary.textContent = '';
    else if (this.raw) this.summary.textContent = this.text.value ? 'A rule the form cannot show; it is kept as written.' : '';
    else this.summary.textContent = describe(this.model, this.anchor);
  }

  private drawing = false;
  private again = false;

  /**
   * Redraws the custom form. Removing a focused control can fire its
   * change event, which asks for another redraw while this one runs; that
   * one waits and follows. The control that had the focus gets it back.
   */
  private drawCustom(): void {
    if (this.drawing) {
      this.again = true;
      return;
    }
    const active = document.activeElement as HTMLElement | null;
    const key = active && this.custom.contains(active)
      ? active.getAttribute('aria-label') ?? (active instanceof HTMLInputElement ? `value:${active.value}` : '') : '';
    this.drawing = true;
    try {
      for (let i = 0; i < 3; i++) {
        this.again = false;
        this.drawCustomOnce();
        if (!this.again) break;
      }
    } finally {
      this.drawing = false;
    }
    if (key) {
      const sel = key.startsWith('value:') ? `input[value="${CSS.escape(key.slice(6))}"]` : `[aria-label="${CSS.escape(key)}"]`;
      this.custom.querySelector<HTMLElement>(sel)?.focus();
    }
  }

  private drawCustomOnce(): void {
    const show = this.choice.value === 'CUSTOM';
    this.custom.hidden = !show;
    if (!show) return;
    const m = this.model;
    const changed = () => {
      this.raw = false;
      this.sync();
    };
    const interval = h('input', { type: 'number', min: 1, max: 999, value: m.interval, class: 'narrow', 'aria-label': 'Repeat every' });
    interval.addEventListener('change', () => { m.interval = Math.max(1, Number(interval.value) || 1); changed(); });
    const freq = select([['DAILY', m.interval === 1 ? 'day' : 'days'], ['WEEKLY', m.interval === 1 ? 'week' : 'weeks'],
      ['MONTHLY', m.interval === 1 ? 'month' : 'months'], ['YEARLY', m.interval === 1 ? 'year' : 'years']], m.freq, { 'aria-label': 'Unit' });
    freq.addEventListener('change', () => {
      const f = freq.value as Freq;
      this.model = { ...preset(f, this.anchor), interval: m.interval, end: m.end };
      changed();
    });
    const parts: HTMLElement[] = [h('div', { class: 'row' }, h('span', {}, 'Every'), interval, freq)];
    if (m.freq === 'WEEKLY') {
      const days = h('div', { class: 'weekdays', role: 'group', 'aria-label': 'On days' });
      for (let i = 0; i < 7; i++) {
        const d = WEEKDAYS[(i + 1) % 7] as Weekday; // Monday first
        const idx = (i + 1) % 7;
        const b = h('button', { type: 'button', class: 'day-toggle', 'aria-pressed': String(m.byDay.includes(d)), 'aria-label': DAY_LONG[idx] },
          DAY_SHORT[idx].slice(0, 2));
        b.addEventListener('click', () => {
          m.byDay = m.byDay.includes(d) ? m.byDay.filter((x) => x !== d) : [...m.byDay, d];
          if (m.byDay.length === 0) m.byDay = [WEEKDAYS[weekdayOf(this.anchor.start)]];
          changed();
        });
        days.appendChild(b);
      }
      parts.push(days);
    }
    if (m.freq === 'MONTHLY' || m.freq === 'YEARLY') {
      const a = this.anchor.start;
      const { n, last } = nthWeekday(a);
      const mode = select([['day', `On day ${a.d}`], ['weekday', `On the ${last && n === 5 ? 'last' : ORD[n]} ${DAY_LONG[weekdayOf(a)]}`]],
        m.monthly, { 'aria-label': 'On' });
      mode.addEventListener('change', () => { m.monthly = mode.value as 'day' | 'weekday'; changed(); });
      parts.push(h('div', { class: 'row' }, mode));
    }
    const name = newID('ends');
    const radio = (v: string, label: string, extra?: HTMLElement) => {
      const r = h('input', { type: 'radio', name, value: v, checked: m.end.kind === v });
      r.addEventListener('change', () => {
        if (v === 'never') m.end = { kind: 'never' };
        if (v === 'until') m.end = { kind: 'until', date: until.value || this.defaultUntil() };
        if (v === 'count') m.end = { kind: 'count', count: Number(count.value) || 10 };
        changed();
      });
      return h('div', { class: 'row' }, h('label', {}, r, ' ', label), extra);
    };
    const until = h('input', { type: 'date', value: m.end.kind === 'until' ? m.end.date : '', 'aria-label': 'Last day' });
    until.addEventListener('change', () => { if (until.value) { m.end = { kind: 'until', date: until.value }; changed(); } });
    const count = h('input', { type: 'number', min: 1, max: 9999, class: 'narrow', value: m.end.kind === 'count' ? m.end.count : 10, 'aria-label': 'Occurrences' });
    count.addEventListener('change', () => { m.end = { kind: 'count', count: Math.max(1, Number(count.value) || 1) }; changed(); });
    parts.push(h('div', { class: 'ends', role: 'radiogroup', 'aria-label': 'Ends' }, h('span', { class: 'label' }, 'Ends'),
      radio('never', 'Never'), radio('until', 'On', until), radio('count', 'After', h('span', {}, count, ' times'))));
    parts.push(field('Rule (RRULE, RFC 5545)', this.text));
    this.custom.replaceChildren(h('legend', {}, 'Custom recurrence'), ...parts);
  }

  private defaultUntil(): string {
    const a = this.anchor.start;
    return `${a.y}-${String(a.m).padStart(2, '0')}-${String(Math.min(a.d, 28)).padStart(2, '0')}`.replace(/^(\d{4})/, (y) => String(Number(y) + 1));
  }

  /** The rule to save: the RRULE value, or '' when the event does not repeat. */
  value(): string {
    if (this.choice.value === '') return '';
    return this.text.value.trim().replace(/^RRULE:/i, '').replace(/;$/, '').toUpperCase();
  }
}
