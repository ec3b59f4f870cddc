// A few helpers for building the DOM. Text always goes in as text nodes:
// nothing a user typed is ever parsed as HTML.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * h('button', {class: 'x', onclick: fn}, 'Save') makes an element. Keys
 * starting with "on" add listeners; true sets an empty attribute, false,
 * null and undefined leave it out; strings in children become text nodes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)) {
      el.value = String(v);
    } else if (k === 'checked' && el instanceof HTMLInputElement) {
      el.checked = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces el's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

let uid = 0;
/** A fresh id for label/for pairs. */
export function newID(prefix = 'f'): string {
  return `${prefix}-${++uid}`;
}

/** A labelled form field: the label, then the control. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = newID();
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  if (hint) {
    const hid = newID('hint');
    control.setAttribute('aria-describedby', hid);
    append(wrap, h('p', { class: 'hint', id: hid }, hint));
  }
  return wrap;
}

/** A select with (value, label) options. */
export function select(options: [string, string][], value: string, attrs: Attrs = {}): HTMLSelectElement {
  const s = h('select', attrs, ...options.map(([v, l]) => h('option', { value: v }, l)));
  s.value = value;
  return s;
}

export interface ModalOptions {
  class?: string;
  onclose?: () => void;
  /**
   * Asked before the dialog is dismissed (Escape, ×, Cancel through
   * dismiss()): resolves true to close it. Saving closes it directly.
   */
  beforeDismiss?: () => Promise<boolean>;
}

/**
 * Opens a modal dialog (the native <dialog>: it traps focus, closes on
 * Escape and returns focus where it was) and removes it when closed.
 * dismiss(dlg) closes it as Escape does, asking first when it should.
 */
export function modal(title: string, body: HTMLElement, opts: ModalOptions = {}): HTMLDialogElement {
  const tid = newID('title');
  const close = h('button', { type: 'button', class: 'icon close', 'aria-label': 'Close', onclick: () => dismiss(dlg) }, '×');
  const dlg = h('dialog', { class: `modal ${opts.class ?? ''}`, 'aria-labelledby': tid },
    h('header', {}, h('h2', { id: tid }, title), close), body);
  if (opts.beforeDismiss) guards.set(dlg, opts.beforeDismiss);
  dlg.addEventListener('cancel', (e) => {
    if (!guards.has(dlg)) return;
    e.preventDefault();
    void dismiss(dlg);
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    opts.onclose?.();
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  return dlg;
}

const guards = new WeakMap<HTMLDialogElement, () => Promise<boolean>>();

/** Closes a dialog as Escape would: after asking, when it has something to lose. */
export async function dismiss(dlg: HTMLDialogElement): Promise<void> {
  const guard = guards.get(dlg);
  if (guard && !(await guard())) return;
  dlg.close();
}

/** "Discard this event?": resolves true when the user lets it go. */
export async function confirmDiscard(what: string): Promise<boolean> {
  return (await choose('Discard changes?', `Discard ${what}?`, [['discard', 'Discard'], ['keep', 'Keep editing']], false)) === 'discard';
}

/** Asks a question with one button per answer; resolves to the answer's value, or null when dismissed. */
export function choose<T extends string>(title: string, text: string, answers: [T, string][], cancel = true): Promise<T | null> {
  return new Promise((resolve) => {
    // The answer is given at the click, not at the dialog's close event a
    // task later: a key pressed in between must meet the asker settled.
    const buttons = answers.map(([v, label], i) =>
      h('button', { type: 'button', class: i === 0 ? 'primary' : '', onclick: () => { resolve(v); dlg.close(); } }, label));
    const body = h('div', { class: 'choose' }, h('p', {}, text), h('div', { class: 'buttons' }, ...buttons,
      cancel ? h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel') : null));
    const dlg = modal(title, body, { class: 'small', onclose: () => resolve(null) });
    buttons[0]?.focus();
  });
}

/** A button a toast offers, such as Undo. */
export interface ToastAction {
  label: string;
  run: () => void;
}

/**
 * A short message at the bottom of the screen, read out by screen readers,
 * with an optional action (Undo), which keeps it up longer.
 */
export function toast(message: string, kind: 'info' | 'error' = 'info', action?: ToastAction): HTMLElement {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  const t = h('div', { class: `toast ${kind}` }, h('span', {}, message));
  if (action) {
    append(t, h('button', { type: 'button', class: 'toast-action', onclick: () => { t.remove(); action.run(); } }, action.label));
  }
  region.appendChild(t);
  setTimeout(() => t.remove(), action ? 10000 : kind === 'error' ? 8000 : 4000);
  return t;
}

/** Asks for permission to show reminders as browser notifications. */
export async function requestNotifications(): Promise<void> {
  if (!('Notification' in window)) {
    toast('This browser cannot show notifications.', 'error');
    return;
  }
  const p = await Notification.requestPermission();
  toast(p === 'granted' ? 'Reminders will show as notifications.' : 'Notifications are off; reminders show here instead.');
}
