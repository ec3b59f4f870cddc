import { describe, expect, it } from 'vitest';
import { dismissedSince } from '../src/stream';

describe('dismissedSince', () => {
  const at = '2026-06-01T11:45:00Z';
  it.each([
    ['never dismissed', undefined, false],
    ['dismissed before it went out', '2026-06-01T11:44:59Z', false],
    ['dismissed as it went out', '2026-06-01T11:45:00Z', true],
    ['dismissed later', '2026-06-01T11:46:30Z', true],
    ['an unreadable time', 'soon', false],
  ])('%s', (_name, ack, want) => {
    expect(dismissedSince(ack, at)).toBe(want);
  });
});
