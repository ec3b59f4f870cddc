import { describe, expect, it } from 'vitest';
import { ApiError, OfflineError } from '../src/api';
import { errorText } from '../src/errors';

describe('errorText', () => {
  it('says what went wrong in words', () => {
    expect(errorText(new ApiError(422, 'invalid-field', 'user_id names no user of this server',
      [{ field: 'user_id', message: 'names no user of this server' }]))).toBe('No user with that e-mail on this server.');
    expect(errorText(new OfflineError(true))).toBe('Can’t reach the server — your change will be retried.');
    expect(errorText(new TypeError('Failed to fetch'))).toBe('Can’t reach the server. Check your connection.');
    expect(errorText(new ApiError(401, 'invalid-credentials', 'bad'))).toBe('Wrong user name or password.');
    expect(errorText(new ApiError(500, 'internal', 'boom'))).toBe('The server had a problem. Try again in a moment.');
    expect(errorText(new ApiError(422, 'invalid-field', 'x', [{ field: 'start', message: 'is required' }]))).toBe('Start: is required');
    expect(errorText(new ApiError(400, 'bad', 'the rule is wrong'))).toBe('The rule is wrong.');
  });
});
