// The sign-in and registration screen.

import { Api, ApiError, type User } from './api';
import { field, h, replace } from './dom';
import { browserZone } from './tz';

export function authScreen(root: HTMLElement, api: Api, done: (u: User) => void): void {
  let mode: 'login' | 'register' = 'login';
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'auth-form', novalidate: true });
  const card = h('main', { class: 'auth' },
    h('h1', {}, 'Almanac'),
    h('p', { class: 'tagline' }, 'Your calendars, on your own server.'),
    form);

  const draw = () => {
    const login = h('input', { name: 'login', autocomplete: 'username', required: true });
    const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
    const password = h('input', {
      name: 'password', type: 'password', required: true,
      autocomplete: mode === 'login' ? 'current-password' : 'new-password', minlength: mode === 'register' ? 8 : null,
    });
    const submit = h('button', { type: 'submit', class: 'primary' }, mode === 'login' ? 'Sign in' : 'Create account');
    const other = h('button', { type: 'button', class: 'link', onclick: () => { mode = mode === 'login' ? 'register' : 'login'; draw(); } },
      mode === 'login' ? 'Create an account' : 'I have an account');
    replace(form,
      h('h2', {}, mode === 'login' ? 'Sign in' : 'Create your account'),
      field(mode === 'login' ? 'User name or e-mail' : 'User name', login),
      mode === 'register' ? field('E-mail', email) : null,
      field('Password', password, mode === 'register' ? 'At least 8 characters.' : undefined),
      error, submit, other);
    form.onsubmit = async (e) => {
      e.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        if (mode === 'register') {
          await api.register(login.value.trim(), email.value.trim(), password.value, browserZone());
        }
        done(await api.login(login.value.trim(), password.value));
      } catch (err) {
        error.textContent = err instanceof ApiError && err.fields.length > 0
          ? err.fields.map((f) => `${f.field}: ${f.message}`).join('; ')
          : err instanceof Error ? err.message : String(err);
        submit.disabled = false;
      }
    };
    login.focus();
  };
  replace(root, card);
  draw();
}
