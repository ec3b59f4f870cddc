// The settings page (/settings): the profile (name, password, time zone,
// week start, clock), whose invitations go straight into the calendar,
// default reminders, browser notifications, and the app passwords CalDAV
// apps sign in with.

import type { AppPassword, DefaultReminder, InvitationsSetting } from './api';
import { append, field, h, replace, requestNotifications, select, toast } from './dom';
import { errorText } from './errors';
import { localeHour12, type HourPref } from './format';
import type { State } from './state';
import { browserZone, isZone, offsetAt, offsetLabel, zoneNames } from './tz';

export class SettingsPage {
  constructor(private st: State, private back: () => void, private signOut: () => void) {}

  render(): HTMLElement {
    const page = h('section', { class: 'settings-page' },
      h('div', { class: 'page-head' },
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Back to the calendar', title: 'Back to the calendar', onclick: () => this.back() }, '←'),
        h('h2', {}, 'Settings')),
      this.profile(),
      this.password(),
      this.invitations(),
      this.reminders(),
      this.appPasswords(),
      h('section', { class: 'settings-section' }, h('h3', {}, 'Account'),
        h('p', {}, `Signed in as ${this.st.user.name} (${this.st.user.email}).`),
        h('button', { type: 'button', onclick: () => this.signOut() }, 'Sign out')));
    return page;
  }

  private profile(): HTMLElement {
    const st = this.st;
    const name = h('input', { value: st.user.display_name, autocomplete: 'name' });
    const zone = h('input', { value: st.zone, list: 'zones', autocomplete: 'off', spellcheck: 'false' });
    const dl = h('datalist', { id: 'zones' }, ...zoneNames().map((z) => h('option', { value: z })));
    const week = select([['0', 'Sunday'], ['1', 'Monday'], ['6', 'Saturday']], String(st.user.week_start));
    const clock = select([['auto', `As this browser’s language does (${localeHour12() ? '1:00 PM' : '13:00'})`], ['12', '12-hour (1:00 PM)'], ['24', '24-hour (13:00)']],
      st.hourPref);
    const err = h('p', { class: 'error', role: 'alert' });
    const browser = browserZone();
    const form = h('form', { class: 'form settings-section' }, h('h3', {}, 'Profile'),
      field('Display name', name),
      field('Time zone', zone, `This browser is in ${browser} (${offsetLabel(offsetAt(Date.now(), browser))}).`), dl,
      field('Week starts on', week),
      field('Times', clock),
      err,
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Save profile')));
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = '';
      if (!isZone(zone.value)) {
        err.textContent = 'Unknown time zone: choose one from the list, such as Europe/Berlin.';
        return;
      }
      try {
        const zoneChanged = zone.value !== st.user.time_zone || Number(week.value) !== st.user.week_start;
        st.user = await st.api.updateMe(st.user.id, { display_name: name.value.trim(), time_zone: zone.value, week_start: Number(week.value) });
        const clockChanged = clock.value !== st.hourPref;
        st.setHourPref(clock.value as HourPref);
        toast('Profile saved.');
        // The grid is set up with the zone, the week and the clock.
        if (zoneChanged || clockChanged) location.assign('/');
      } catch (e2) {
        err.textContent = errorText(e2);
      }
    };
    return form;
  }

  private password(): HTMLElement {
    const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
    const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
    const again = h('input', { type: 'password', autocomplete: 'new-password' });
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'form settings-section' }, h('h3', {}, 'Password'),
      field('Current password', current),
      field('New password', pw, 'At least 8 characters. Apps that use an app password keep working.'),
      field('New password again', again), err,
      h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Change password')));
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = '';
      if (pw.value.length < 8) {
        err.textContent = 'The password is too short: use at least 8 characters.';
        return;
      }
      if (pw.value !== again.value) {
        err.textContent = 'The two passwords differ.';
        return;
      }
      try {
        // The server asks for the current password with a new one.
        await this.st.api.updateMe(this.st.user.id, { password: pw.value, current_password: current.value });
        current.value = pw.value = again.value = '';
        toast('Password changed. Other browsers signed in to this account are signed out.');
      } catch (e2) {
        err.textContent = errorText(e2);
      }
    };
    return form;
  }

  private invitations(): HTMLElement {
    const st = this.st;
    const who = select([['known', 'Only from people I know'], ['everyone', 'From everyone']], st.user.invitations ?? 'known');
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'form settings-section' }, h('h3', {}, 'Invitations'),
      field('Add invitations to my calendar', who,
        'People you know: those you share a calendar with, have invited, or whose invitations you answered or have in your calendar. ' +
        'Invitations from anyone else wait in Invitations, out of your calendar, until you accept them.'),
      err,
      h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Save invitations setting')));
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = '';
      try {
        st.user = await st.api.updateMe(st.user.id, { invitations: who.value as InvitationsSetting });
        toast('Invitations setting saved.');
      } catch (e2) {
        err.textContent = errorText(e2);
      }
    };
    return form;
  }

  private reminders(): HTMLElement {
    const st = this.st;
    let list: DefaultReminder[] = [];
    const ul = h('ul', { class: 'reminders', 'aria-label': 'Default reminders' });
    const err = h('p', { class: 'error', role: 'alert' });
    const draw = () => {
      replace(ul, ...list.map((r, i) => {
        const n = h('input', { type: 'number', min: 0, max: 40320, value: r.minutes, class: 'narrow', 'aria-label': 'Minutes before' });
        n.addEventListener('change', () => { r.minutes = Math.max(0, Number(n.value) || 0); });
        const how = select([['display', 'Notification'], ['email', 'E-mail']], r.method === 'email' ? 'email' : 'display', { 'aria-label': 'How' });
        how.addEventListener('change', () => { r.method = how.value; });
        return h('li', {}, how, n, h('span', {}, 'minutes before'),
          h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove reminder', onclick: () => { list.splice(i, 1); draw(); } }, '×'));
      }));
      if (list.length === 0) append(ul, h('li', { class: 'hint' }, 'None: events without reminders of their own have none.'));
    };
    const add = h('button', { type: 'button', class: 'add', onclick: () => {
      if (list.length >= 5) return;
      list.push({ method: 'display', minutes: 10 });
      draw();
    } }, 'Add reminder');
    const save = h('button', { type: 'button', class: 'primary', onclick: async () => {
      err.textContent = '';
      try {
        await st.api.putReminderSettings({ default_reminders: list });
        toast('Default reminders saved.');
      } catch (e) {
        err.textContent = errorText(e);
      }
    } }, 'Save reminders');
    void st.api.reminderSettings().then((s) => {
      list = (s.default_reminders ?? []).map((r) => ({ method: r.method, minutes: r.minutes }));
      draw();
    }, () => draw());
    const notes = h('button', { type: 'button', onclick: () => void requestNotifications() }, 'Allow browser notifications');
    return h('section', { class: 'settings-section' }, h('h3', {}, 'Default reminders'),
      h('p', { class: 'hint' }, 'For events that have no reminders of their own, in every calendar.'),
      ul, h('div', { class: 'row' }, add), err, h('div', { class: 'buttons' }, save),
      h('div', { class: 'row' }, notes,
        h('span', { class: 'hint' }, `Notifications: ${'Notification' in window ? Notification.permission : 'not supported'}`)));
  }

  private appPasswords(): HTMLElement {
    const st = this.st;
    const ul = h('ul', { class: 'app-passwords', 'aria-label': 'App passwords' });
    const label = h('input', { placeholder: 'iPhone', autocomplete: 'off', 'aria-label': 'Name of the new app password' });
    const secret = h('div', { class: 'secret', 'aria-live': 'polite' });
    const err = h('p', { class: 'error', role: 'alert' });
    const draw = (items: AppPassword[]) => {
      if (items.length === 0) {
        replace(ul, h('li', { class: 'hint' }, 'No app passwords yet.'));
        return;
      }
      replace(ul, ...items.map((p) => h('li', {},
        h('span', { class: 'who' }, p.name, h('span', { class: 'hint' },
          ` made ${new Date(p.created_at).toLocaleDateString()}${p.last_used_at ? `, last used ${new Date(p.last_used_at).toLocaleDateString()}` : ', never used'}`)),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${p.name}`, onclick: async () => {
          try {
            await st.api.revokeAppPassword(st.user.id, p.name);
            toast(`${p.name} can no longer sign in.`);
            await load();
          } catch (e) {
            err.textContent = errorText(e);
          }
        } }, 'Revoke'))));
    };
    const load = async () => {
      try {
        draw(await st.api.appPasswords(st.user.id));
      } catch (e) {
        err.textContent = errorText(e);
      }
    };
    const form = h('form', { class: 'row' }, label, h('button', { type: 'submit' }, 'Create'));
    form.onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = '';
      const name = label.value.trim();
      if (!name) {
        err.textContent = 'Name the app the password is for.';
        return;
      }
      try {
        const p = await st.api.createAppPassword(st.user.id, name);
        label.value = '';
        replace(secret, h('p', {}, `The password for ${p.name} (shown only now): `, h('code', { class: 'app-secret' }, p.secret ?? '')),
          h('p', { class: 'hint' }, `In the app: server ${location.origin}/, user name ${st.user.name}, and this password.`));
        await load();
      } catch (e2) {
        err.textContent = errorText(e2);
      }
    };
    void load();
    return h('section', { class: 'settings-section' }, h('h3', {}, 'App passwords'),
      h('p', { class: 'hint' }, 'A separate password for each calendar app (Apple Calendar, Thunderbird, DAVx5), which you can revoke alone.'),
      ul, form, secret, err);
  }
}
