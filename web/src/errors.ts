// Errors in words a person understands. The API answers RFC 9457
// problem documents naming the kind of error and the fields at fault;
// this turns them, and network failures, into sentences.

import { ApiError, OfflineError } from './api';

const FIELDS: Record<string, string> = {
  title: 'Title', start: 'Start', end: 'End', recurrence: 'Repeat', location: 'Location',
  description: 'Description', attendees: 'Guests', reminders: 'Reminders', time_zone: 'Time zone',
  display_name: 'Name', color: 'Colour', email: 'E-mail', password: 'Password', name: 'Name',
  url: 'Address', week_start: 'Week start', calendar_id: 'Calendar', current_password: 'Current password',
};

/** Sentences for what the server says of a field, where its words are terse. */
const MESSAGES: [field: string, pattern: RegExp, text: string][] = [
  ['user_id', /names no user/, 'No user with that e-mail on this server.'],
  ['email', /plain e-mail/, 'That is not an e-mail address: write it as alice@example.com.'],
  ['password', /short|least/, 'The password is too short: use at least 8 characters.'],
  ['current_password', /not the account/, 'The current password is wrong.'],
  ['end', /before|after/, 'The event ends before it starts.'],
  ['url', /./, 'That address cannot be subscribed to: '],
];

function fieldText(field: string, message: string): string {
  for (const [f, re, text] of MESSAGES) {
    if (f === field && re.test(message)) return text.endsWith(': ') ? text + message : text;
  }
  const label = FIELDS[field] ?? field.replace(/_/g, ' ');
  return `${label}: ${message}`;
}

/** The sentence for err. */
export function errorText(err: unknown): string {
  if (err instanceof OfflineError) return err.message;
  if (err instanceof ApiError) {
    if (err.fields.length > 0) return err.fields.map((f) => fieldText(f.field, f.message)).join(' ');
    switch (err.kind) {
      case 'invalid-credentials': return 'Wrong user name or password.';
      case 'rate-limited': return 'Too many attempts. Wait a minute, then try again.';
      case 'precondition-failed': return 'Someone changed this meanwhile. The latest version is shown now; make your change again.';
      case 'quota-exceeded': return 'Your account is full: the server’s storage limit is reached. Delete some events, or ask the administrator.';
      case 'read-only-calendar': return 'This calendar is read-only: it comes from a subscription.';
      case 'forbidden': return 'You may not change this: it belongs to a calendar you can only read.';
      case 'not-found': return 'It no longer exists; it may have been deleted elsewhere.';
      case 'registration-closed': return 'This server does not take new accounts.';
      case 'exists': return 'That name or e-mail is taken.';
      case 'too-large': return 'The file is too large for this server.';
      case 'source-unavailable': return `The address did not answer with a calendar: ${err.message}`;
      case 'unauthenticated': return 'You were signed out. Sign in again.';
    }
    if (err.status >= 500) return 'The server had a problem. Try again in a moment.';
    return err.message.charAt(0).toUpperCase() + err.message.slice(1) + (/[.!?]$/.test(err.message) ? '' : '.');
  }
  if (err instanceof TypeError) return 'Can’t reach the server. Check your connection.';
  return err instanceof Error ? err.message : String(err);
}
