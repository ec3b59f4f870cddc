// The invitations inbox: events others invited the user to, to accept or
// decline. Servers without scheduling answer 404 or 501; then the inbox
// stays hidden. The invitations themselves are the state's.

import type { Invitation } from './api';
import { h, modal, replace } from './dom';
import { statusLabel } from './eventdialog';
import { clock, dayText, spanText } from './format';
import type { State } from './state';
import { wallAt, dateString } from './tz';

export class InboxButton {
  readonly button: HTMLButtonElement;
  private badge = h('span', { class: 'badge', hidden: true });
  private list?: HTMLElement;

  constructor(private st: State) {
    this.button = h('button', { type: 'button', class: 'inbox-button', hidden: true, onclick: () => this.open() },
      h('span', { class: 'inbox-label' }, 'Invitations'), this.badge);
    st.on('invitations', () => this.draw());
  }

  private items(): Invitation[] {
    // Unanswered first, then by start.
    const pending = (i: Invitation) => (isPending(i) ? 0 : 1);
    return [...this.st.invitations].sort((a, b) => pending(a) - pending(b) || (a.start ?? '').localeCompare(b.start ?? ''));
  }

  private draw(): void {
    this.button.hidden = !this.st.invitationsAvailable;
    const pending = this.st.invitations.filter(isPending).length;
    this.badge.hidden = pending === 0;
    this.badge.textContent = String(pending);
    this.button.setAttribute('aria-label', `Invitations, ${pending} awaiting reply`);
    this.button.title = `Invitations, ${pending} awaiting reply`;
    if (this.list) this.drawList();
  }

  private open(): void {
    this.list = h('ul', { class: 'invitations' });
    this.drawList();
    modal('Invitations', h('div', {}, this.list), { class: 'inbox-dialog', onclose: () => { this.list = undefined; } });
    void this.st.refreshInvitations();
  }

  private drawList(): void {
    if (!this.list) return;
    const items = this.items();
    if (items.length === 0) {
      replace(this.list, h('li', { class: 'empty' }, 'No invitations.'));
      return;
    }
    const year = this.st.now().getUTCFullYear();
    replace(this.list, ...items.map((inv) => {
      let when = '';
      if (inv.start && inv.all_day) {
        const d = inv.start.slice(0, 10);
        when = spanText(d, addOne(d), true, this.st.hour12, year);
      } else if (inv.start) {
        const w = wallAt(Date.parse(inv.start), this.st.zone);
        when = `${dayText(w, year)}, ${clock(w.h, w.mi, this.st.hour12)}`;
      }
      const actions = h('div', { class: 'buttons', role: 'group', 'aria-label': `Reply to ${inv.summary}` });
      for (const [s, label] of [['ACCEPTED', 'Accept'], ['TENTATIVE', 'Maybe'], ['DECLINED', 'Decline']] as const) {
        actions.appendChild(h('button', { type: 'button', class: s === 'ACCEPTED' ? 'primary' : '', 'aria-pressed': String(inv.status === s),
          onclick: () => void this.st.respond(inv, s) }, label));
      }
      // A held invitation (from someone new) is in no calendar until
      // accepted: there is no event to open yet.
      const title = inv.held
        ? h('span', { class: 'inv-title' }, inv.summary || '(No title)')
        : h('button', { type: 'button', class: 'link inv-title', onclick: () => this.st.emit('open-event', inv.event_id) }, inv.summary || '(No title)');
      return h('li', { 'data-event': inv.event_id, class: inv.held ? 'held' : undefined },
        title,
        inv.held && h('div', { class: 'inv-new', title: 'Not in your calendar until you accept it' }, 'From someone new · not in your calendar until you accept'),
        h('div', { class: 'inv-when' }, when),
        h('div', { class: 'inv-from' }, 'From ', inv.organizer.replace(/^mailto:/i, '')),
        h('div', { class: `inv-status rsvp-${inv.status.toLowerCase()}` }, statusLabel(inv.status)),
        actions);
    }));
  }
}

function addOne(date: string): string {
  const t = Date.parse(`${date}T00:00:00Z`) + 86400000;
  return dateString(wallAt(t, 'UTC'));
}

function isPending(i: Invitation): boolean {
  return i.status === 'PENDING' || i.status.toLowerCase() === 'needs-action';
}
