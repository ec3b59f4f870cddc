// The invitations inbox: events others invited the user to, to accept or
// decline. Servers without scheduling answer 404 or 501; then the inbox
// stays hidden.

import { ApiError, type Invitation } from './api';
import { errorText, type App } from './app';
import { h, modal, replace, toast } from './dom';
import { statusLabel } from './eventdialog';

export class Inbox {
  readonly button: HTMLButtonElement;
  private badge = h('span', { class: 'badge', hidden: true });
  private items: Invitation[] = [];
  private available = true;
  private list?: HTMLElement;

  constructor(private app: App) {
    this.button = h('button', { type: 'button', class: 'inbox-button', hidden: true, onclick: () => this.open() }, 'Invitations', this.badge);
  }

  async refresh(): Promise<void> {
    if (!this.available) return;
    try {
      const all = await this.app.api.invitations();
    // Unanswered first, then by start.
    const pending = (i: Invitation) => (isPending(i) ? 0 : 1);
    this.items = all.sort((a, b) => pending(a) - pending(b) || (a.start ?? '').localeCompare(b.start ?? ''));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 501 || err.status === 405)) {
        this.available = false;
        return;
      }
      throw err;
    }
    this.button.hidden = false;
    const pending = this.items.filter(isPending).length;
    this.badge.hidden = pending === 0;
    this.badge.textContent = String(pending);
    this.button.setAttribute('aria-label', `Invitations, ${pending} awaiting reply`);
    if (this.list) this.draw();
  }

  find(eventID: string): Invitation | undefined {
    return this.items.find((i) => i.event_id === eventID);
  }

  async respond(inv: Invitation, status: 'ACCEPTED' | 'DECLINED' | 'TENTATIVE'): Promise<void> {
    try {
      await this.app.api.respond(inv.event_id, inv.id, status);
      toast(status === 'ACCEPTED' ? 'Accepted.' : status === 'DECLINED' ? 'Declined.' : 'Answered maybe.');
      await this.refresh();
      this.app.refetch();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  private open(): void {
    this.list = h('ul', { class: 'invitations' });
    this.draw();
    modal('Invitations', h('div', {}, this.list), { class: 'inbox-dialog', onclose: () => { this.list = undefined; } });
    void this.refresh();
  }

  private draw(): void {
    if (!this.list) return;
    if (this.items.length === 0) {
      replace(this.list, h('li', { class: 'empty' }, 'No invitations.'));
      return;
    }
    replace(this.list, ...this.items.map((inv) => {
      const when = inv.start ? new Date(inv.start).toLocaleString(undefined, inv.all_day
        ? { dateStyle: 'full', timeZone: 'UTC' } : { dateStyle: 'full', timeStyle: 'short', timeZone: this.app.zone }) : '';
      const actions = h('div', { class: 'buttons', role: 'group', 'aria-label': `Reply to ${inv.summary}` });
      for (const [s, label] of [['ACCEPTED', 'Accept'], ['TENTATIVE', 'Maybe'], ['DECLINED', 'Decline']] as const) {
        actions.appendChild(h('button', { type: 'button', class: s === 'ACCEPTED' ? 'primary' : '', 'aria-pressed': String(inv.status === s),
          onclick: () => void this.respond(inv, s) }, label));
      }
      return h('li', { 'data-event': inv.event_id },
        h('div', { class: 'inv-title' }, inv.summary || '(No title)'),
        h('div', { class: 'inv-when' }, when),
        h('div', { class: 'inv-from' }, 'From ', inv.organizer.replace(/^mailto:/i, '')),
        h('div', { class: 'inv-status' }, statusLabel(inv.status)),
        actions);
    }));
  }
}

function isPending(i: Invitation): boolean {
  return i.status === 'PENDING' || i.status.toLowerCase() === 'needs-action';
}
