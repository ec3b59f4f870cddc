// Quick create: a small box at the slot that was clicked or dragged, with
// the title and the time, that saves on Enter. The slot stays in view
// (the box is not modal); "More options" opens the full editor with what
// was typed. Escape, or a click elsewhere, lets it go, asking first when
// a title was typed.

import { OfflineError, type EventRequest } from './api';
import { confirmDiscard, h, select, toast } from './dom';
import { errorText } from './errors';
import type { Draft } from './eventdialog';
import { spanText } from './format';
import type { State } from './state';
import { addDays, dateString, localString, wallOf } from './tz';

let open: { close: (ask: boolean, replaced?: boolean) => Promise<boolean>; asking: () => boolean } | null = null;

/**
 * Opens the box for the selection sel beside the rectangle at (what the
 * grid drew of it; null: the middle of the screen, or the bottom on a
 * phone). done runs when it closes; more opens the full editor.
 */
export function quickCreate(st: State, sel: Draft, at: DOMRect | null, done: () => void,
  more: (d: Draft & { title: string; calendarId: string }) => void): void {
  if (open?.asking()) {
    done(); // still asking whether to discard the previous one
    return;
  }
  if (open) void open.close(false, true);
  const title = h('input', { class: 'title-input', placeholder: 'Add title', 'aria-label': 'Title', autocomplete: 'off' });
  const cals = st.writable();
  const cal = select(cals.map((c) => [c.id, c.display_name]), cals[0]?.id ?? '', { 'aria-label': 'Calendar' });
  const startW = wallOf(sel.start);
  const endW = wallOf(sel.end);
  const when = sel.allDay
    ? spanText(dateString(startW), dateString(endW), true, st.hour12, st.now().getUTCFullYear())
    : spanText(localString(startW), localString(endW), false, st.hour12, st.now().getUTCFullYear());
  const err = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h('form', { class: 'quick-form' },
    title,
    h('p', { class: 'quick-when' }, when),
    cals.length > 1 ? cal : null,
    err,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'link', onclick: () => {
        void close(false).then(() => more({ ...sel, title: title.value, calendarId: cal.value }));
      } }, 'More options'),
      save));
  const box = h('div', { class: 'quick', role: 'dialog', 'aria-label': 'New event', 'aria-modal': 'false' },
    h('button', { type: 'button', class: 'icon close', 'aria-label': 'Close', onclick: () => void close(true) }, '×'), form);

  let closing = false;
  const close = async (ask: boolean, replaced = false): Promise<boolean> => {
    if (closing) return false;
    if (ask && title.value.trim() !== '') {
      closing = true;
      const ok = await confirmDiscard('this event');
      closing = false;
      if (!ok) {
        title.focus();
        return false;
      }
    }
    box.remove();
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('pointerdown', onOutside, true);
    if (open?.close === close) open = null;
    if (!replaced) done();
    return true;
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      e.stopPropagation();
      void close(true);
    }
  };
  const onOutside = (e: PointerEvent) => {
    const t = e.target as Element | null;
    if (!t || box.contains(t) || t.closest('dialog')) return;
    // A new selection replaces this one (it asks when a title was typed).
    void close(true);
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    save.disabled = true;
    const req: EventRequest = { calendar_id: cal.value, title: title.value.trim() };
    if (sel.allDay) {
      req.start = { date: dateString(startW) };
      req.end = { date: dateString(endW) > dateString(startW) ? dateString(endW) : addDays(dateString(startW), 1) };
    } else {
      req.start = { date_time: localString(startW), time_zone: st.zone };
      req.end = { date_time: localString(endW), time_zone: st.zone };
      req.reminders = [{ method: 'display', minutes: 10 }];
    }
    try {
      await st.api.createEvent(req);
      toast('Event created.');
      st.refetch(cal.value);
      title.value = '';
      void close(false);
    } catch (e2) {
      if (e2 instanceof OfflineError && e2.queued) {
        toast(errorText(e2), 'error');
        title.value = '';
        void close(false);
        return;
      }
      err.textContent = errorText(e2);
      save.disabled = false;
    }
  };

  document.body.appendChild(box);
  // Beside the selection (right of it, else left, else below), inside
  // the window.
  if (at && window.innerWidth > 700) {
    const r = box.getBoundingClientRect();
    const gap = 8;
    let x: number;
    let y = at.top;
    if (at.right + gap + r.width <= window.innerWidth - gap) x = at.right + gap;
    else if (at.left - gap - r.width >= gap) x = at.left - gap - r.width;
    else {
      x = at.left + (at.width - r.width) / 2;
      y = at.bottom + gap + r.height <= window.innerHeight ? at.bottom + gap : at.top - gap - r.height;
    }
    box.style.left = `${Math.min(Math.max(gap, x), window.innerWidth - r.width - gap)}px`;
    box.style.top = `${Math.min(Math.max(gap, y), window.innerHeight - r.height - gap)}px`;
  } else {
    box.classList.add('sheet');
  }
  open = { close, asking: () => closing };
  document.addEventListener('keydown', onKey, true);
  // Not the pointerdown that made the selection: from the next one on.
  setTimeout(() => document.addEventListener('pointerdown', onOutside, true), 0);
  title.focus();
}
