// The sharing dialog: who may see a calendar, and how much.

import type { Calendar, Collaborator, Role } from './api';
import { errorText } from './errors';
import type { State } from './state';
import { field, h, modal, replace, select } from './dom';

const ROLES: [Role, string][] = [
  ['freebusy', 'See only free/busy'],
  ['reader', 'See all event details'],
  ['writer', 'Make changes to events'],
];

export function shareDialog(app: State, cal: Calendar): void {
  const list = h('ul', { class: 'collaborators', 'aria-label': 'People with access' });
  const email = h('input', { type: 'email', autocomplete: 'off', required: true, placeholder: 'name@example.com' });
  const role = select(ROLES, 'reader', { 'aria-label': 'Permission' });
  const err = h('p', { class: 'error', role: 'alert' });

  const draw = (people: Collaborator[]) => {
    replace(list, ...people.map((p) => {
      const who = h('span', { class: 'who' }, p.user.display_name || p.user.name, h('span', { class: 'email' }, p.user.email));
      if (p.owner) return h('li', {}, who, h('span', { class: 'role' }, 'Owner'));
      const r = select(ROLES, p.role, { 'aria-label': `Permission of ${p.user.email}` });
      r.addEventListener('change', async () => {
        try {
          await app.api.changeRole(cal.id, p.user.id, r.value as Role);
        } catch (e) {
          err.textContent = errorText(e);
        }
      });
      const remove = h('button', { type: 'button', class: 'icon', 'aria-label': `Remove ${p.user.email}`, onclick: async () => {
        try {
          await app.api.unshare(cal.id, p.user.id);
          await load();
        } catch (e) {
          err.textContent = errorText(e);
        }
      } }, '×');
      return h('li', {}, who, r, remove);
    }));
  };
  const load = async () => {
    try {
      draw(await app.api.collaborators(cal.id));
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const form = h('form', { class: 'form share-form' },
    list,
    h('div', { class: 'row add-person' }, field('Add people by e-mail', email), field('Permission', role),
      h('button', { type: 'submit', class: 'primary' }, 'Share')),
    err,
    cal.caldav_url ? h('p', { class: 'hint' }, 'People you share with see this calendar in Almanac and in their CalDAV apps.') : null);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (!email.value.trim()) {
      err.textContent = 'Enter an e-mail address.';
      return;
    }
    try {
      await app.api.share(cal.id, email.value.trim(), role.value as Role);
      email.value = '';
      await load();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  modal(`Share “${cal.display_name}”`, form, { class: 'share-dialog' });
  email.focus();
  void load();
}
