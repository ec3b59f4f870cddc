// Entry point: sign in, then the application.

import './styles.css';
import { Api, type Calendar } from './api';
import { App } from './app';
import { authScreen } from './auth';
import { State } from './state';

const root = document.getElementById('app')!;
const api = new Api();
let app: App | null = null;

function signedOut(): void {
  app?.stop();
  app = null;
  api.forget();
  authScreen(root, api, start);
}

function start(user: Awaited<ReturnType<Api['me']>>, calendars?: Promise<Calendar[]>): void {
  app = new App(root, new State(api, user), () => {
    void api.logout().catch(() => {}).then(signedOut);
  }, calendars);
}

api.onSignedOut = () => {
  if (app) signedOut();
};

if (api.hasSession()) {
  // The calendars are asked for with the profile, not after it.
  const calendars = api.calendars();
  calendars.catch(() => {});
  api.me().then((u) => start(u, calendars), () => signedOut());
} else {
  signedOut();
}
