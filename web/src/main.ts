// Entry point: sign in, then the application.

import './styles.css';
import { Api } from './api';
import { App } from './app';
import { authScreen } from './auth';

const root = document.getElementById('app')!;
const api = new Api();
let app: App | null = null;

function signedOut(): void {
  app?.stop();
  app = null;
  api.forget();
  authScreen(root, api, start);
}

function start(user: Awaited<ReturnType<Api['me']>>): void {
  app = new App(root, api, user, () => {
    void api.logout().catch(() => {}).then(signedOut);
  });
}

api.onSignedOut = () => {
  if (app) signedOut();
};

if (api.hasSession()) {
  api.me().then(start, () => signedOut());
} else {
  signedOut();
}
