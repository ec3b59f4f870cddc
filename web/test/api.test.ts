import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Api, OfflineError } from '../src/api';

// A browser's storage and a network that is down until told otherwise.
let store: Map<string, string>;
let online: boolean;
let sent: string[];

beforeEach(() => {
  store = new Map();
  online = false;
  sent = [];
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  });
  vi.stubGlobal('window', { setTimeout: () => 0 });
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    if (!online) throw new TypeError('Failed to fetch');
    sent.push(`${init.method} ${url}`);
    return new Response(JSON.stringify({ id: 'e1' }), { status: init.method === 'POST' ? 201 : 200 });
  });
});
afterEach(() => vi.unstubAllGlobals());

describe('writes without the server', () => {
  it('are kept, across a reload, and sent in order when it answers', async () => {
    const api = new Api();
    await expect(api.createEvent({ title: 'Offline' })).rejects.toBeInstanceOf(OfflineError);
    await expect(api.deleteEvent('x1')).rejects.toMatchObject({ queued: true });
    await expect(api.calendars()).rejects.toMatchObject({ queued: false });
    expect(api.pending()).toBe(2);
    const again = new Api(); // a reload
    expect(again.pending()).toBe(2);
    const done: string[] = [];
    again.onReplayed = (w, err) => done.push(`${w.label}:${err === null}`);
    online = true;
    await Promise.all([again.replay(), again.replay()]); // a second call joins the first
    expect(sent).toEqual(['POST /api/v1/events', 'DELETE /api/v1/events/x1']);
    expect(done).toEqual(['the new event “Offline”:true', 'the deletion:true']);
    expect(again.pending()).toBe(0);
    expect(store.has('almanac.queue')).toBe(false);
  });
});
