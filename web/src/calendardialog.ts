// A calendar's settings: its name, colour and description, and bringing
// events in and out: import an .ics file (with what became of each
// event), export it, publish it at a secret address; and subscribing to
// a calendar published elsewhere.

import type { Calendar, ImportReport, Publication } from './api';
import { append, choose, field, h, modal, replace, select, toast } from './dom';
import { errorText } from './errors';
import { nextColor } from './colors';
import { readOnlySource, type State } from './state';

/** The settings of calendar c, or a form for a new calendar (c null). */
export function calendarDialog(st: State, c: Calendar | null): void {
  const name = h('input', { value: c?.display_name ?? '', required: true });
  const color = h('input', { type: 'color', value: c?.color ? c.color.slice(0, 7) : nextColor(st.calendars.map((x) => x.color)) });
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
        await st.api.deleteCalendar(c.id);
        dlg.close();
        await st.reloadCalendars();
      } catch (e) {
        err.textContent = errorText(e);
      }
    } }, c.role === 'owner' ? 'Delete calendar' : 'Leave calendar'));
  }
  append(form, buttons);
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const body: Partial<Calendar> = { display_name: name.value.trim(), color: color.value };
      if (!c || c.role === 'owner') body.description = desc.value;
      if (c) await st.api.updateCalendar(c.id, body);
      else await st.api.createCalendar(body);
      dlg.close();
      await st.reloadCalendars();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const body = h('div', { class: 'calendar-settings' }, form);
  if (c) {
    if ((c.role === 'owner' || c.role === 'writer') && !readOnlySource(c)) append(body, importSection(st, c));
    if (c.role !== 'freebusy') append(body, exportSection(st, c));
    if (c.role === 'owner') append(body, publishSection(st, c));
    if (c.caldav_url) {
      append(body, h('p', { class: 'hint' }, 'CalDAV address: ', h('code', {}, new URL(c.caldav_url, location.href).href)));
    }
  }
  const dlg = modal(c ? `Calendar “${c.display_name}”` : 'New calendar', body, { class: 'calendar-dialog' });
  name.focus();
}

/** Import an .ics file, then say what became of its events. */
function importSection(st: State, c: Calendar): HTMLElement {
  const file = h('input', { type: 'file', accept: '.ics,text/calendar', 'aria-label': 'Calendar file (.ics)' });
  const go = h('button', { type: 'button' }, 'Import');
  const out = h('div', { class: 'import-report', 'aria-live': 'polite' });
  go.addEventListener('click', async () => {
    const f = file.files?.[0];
    if (!f) {
      replace(out, h('p', { class: 'error' }, 'Choose an .ics file first.'));
      return;
    }
    go.disabled = true;
    replace(out, h('p', { class: 'hint' }, `Importing ${f.name}…`));
    try {
      const rep = await st.api.importFile(c.id, f);
      replace(out, ...reportNodes(rep));
      st.refetch(c.id);
    } catch (e) {
      replace(out, h('p', { class: 'error' }, errorText(e)));
    } finally {
      go.disabled = false;
    }
  });
  return h('section', { class: 'cal-section' }, h('h3', {}, 'Import'),
    h('p', { class: 'hint' }, 'Events from a file another calendar exported (Google, Outlook, Apple, Thunderbird). Importing the same file again updates them.'),
    h('div', { class: 'row' }, file, go), out);
}

/** "12 added, 3 updated, 1 refused", with why. */
export function reportNodes(rep: ImportReport): Node[] {
  const parts = [`${rep.created} added`, `${rep.updated} updated`];
  if (rep.unchanged) parts.push(`${rep.unchanged} already here`);
  parts.push(`${rep.failed} refused`);
  const nodes: Node[] = [h('p', { class: 'import-summary' }, `${parts.join(', ')} (of ${rep.total} in the file).`)];
  if (rep.errors.length > 0) {
    nodes.push(h('ul', { class: 'import-errors' }, ...rep.errors.slice(0, 20).map((e) =>
      h('li', {}, h('strong', {}, `Line ${e.line}${e.uid ? ` (${e.uid})` : ''}`), ': ', refusal(e)))));
    if (rep.errors.length > 20) nodes.push(h('p', { class: 'hint' }, `and ${rep.errors.length - 20} more.`));
  }
  for (const w of rep.warnings ?? []) nodes.push(h('p', { class: 'hint' }, w));
  return nodes;
}

/** Why an event was refused, in words. */
function refusal(e: ImportReport['errors'][number]): string {
  switch (e.precondition) {
    case 'min-date-time':
    case 'max-date-time':
      return `its dates are outside what this server keeps (${e.message})`;
    case 'quota-not-exceeded':
      return 'your account is full';
    case 'max-instances':
      return `it repeats too often (${e.message})`;
  }
  return e.message;
}

function exportSection(st: State, c: Calendar): HTMLElement {
  return h('section', { class: 'cal-section' }, h('h3', {}, 'Export'),
    h('p', {}, h('a', { href: st.api.exportURL(c.id), download: `${c.display_name || 'calendar'}.ics`, class: 'export-link' },
      'Download as .ics'), h('span', { class: 'hint' }, ' — every event, for another calendar app.')));
}

const LEVELS: [string, string][] = [
  ['', 'Not published'],
  ['busy', 'Published: free/busy only'],
  ['titles', 'Published: titles and places'],
  ['full', 'Published: all details'],
];

/** Publishing at a secret read-only address others' calendars can subscribe to. */
function publishSection(st: State, c: Calendar): HTMLElement {
  const level = select(LEVELS, '', { 'aria-label': 'Publish' });
  const link = h('div', { class: 'publication' });
  const show = (p: Publication | null) => {
    level.value = p?.level ?? '';
    if (!p) {
      replace(link);
      return;
    }
    const url = new URL(p.url, location.href).href;
    const input = h('input', { value: url, readonly: true, 'aria-label': 'Published address', class: 'pub-url' });
    replace(link, h('div', { class: 'row' }, input,
      h('button', { type: 'button', onclick: async () => {
        try {
          await navigator.clipboard.writeText(url);
          toast('Address copied.');
        } catch {
          input.select();
        }
      } }, 'Copy')),
    h('p', { class: 'hint' }, 'Anyone with this address can subscribe to the calendar. Stop publishing to make it useless.'));
  };
  level.addEventListener('change', async () => {
    try {
      if (level.value === '') {
        await st.api.unpublish(c.id);
        show(null);
      } else {
        show(await st.api.publish(c.id, level.value as Publication['level']));
      }
    } catch (e) {
      toast(errorText(e), 'error');
    }
  });
  void st.api.publication(c.id).then(show, () => {});
  return h('section', { class: 'cal-section' }, h('h3', {}, 'Publish'), field('Who may see it at a secret address', level), link);
}

/** Subscribing to a calendar someone publishes (webcal://, https://…ics). */
export function subscribeDialog(st: State): void {
  const url = h('input', { type: 'url', required: true, placeholder: 'webcal://example.com/calendar.ics', inputmode: 'url' });
  const name = h('input', { placeholder: 'Holidays' });
  const err = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Subscribe');
  const form = h('form', { class: 'form', novalidate: true }, field('Address of the calendar', url,
    'Its events are read now and refreshed regularly; the calendar is read-only here.'),
  field('Name', name), err, h('div', { class: 'buttons' }, submit));
  form.onsubmit = async (e) => {
    e.preventDefault();
    const u = url.value.trim();
    if (!/^(webcals?|https?):\/\//i.test(u)) {
      err.textContent = 'Give the address of a calendar, starting with webcal://, https:// or http://.';
      return;
    }
    submit.disabled = true;
    err.textContent = '';
    try {
      await st.api.subscribe(u, name.value.trim(), nextColor(st.calendars.map((c) => c.color)));
      dlg.close();
      toast('Subscribed.');
      await st.reloadCalendars();
    } catch (e2) {
      err.textContent = errorText(e2);
    } finally {
      submit.disabled = false;
    }
  };
  const dlg = modal('Subscribe to a calendar', form, { class: 'small' });
  url.focus();
}
