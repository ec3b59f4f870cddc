import { describe, expect, it } from 'vitest';
import { clock, clockRange, hour12For, hourLabel, localeHour12, shortClock, shortPeriod, spanText } from '../src/format';

describe('the clock', () => {
  it('follows the locale', () => {
    expect(localeHour12('en-US')).toBe(true);
    expect(localeHour12('en-GB')).toBe(false);
    expect(localeHour12('de-DE')).toBe(false);
    expect(hour12For('24', 'en-US')).toBe(false);
    expect(hour12For('12', 'de-DE')).toBe(true);
    expect(hour12For('auto', 'en-US')).toBe(true);
  });
  it('writes times on either clock', () => {
    expect(clock(0, 5, true)).toBe('12:05 AM');
    expect(clock(12, 0, true)).toBe('12:00 PM');
    expect(clock(20, 30, true)).toBe('8:30 PM');
    expect(clock(8, 0, false)).toBe('08:00');
    expect(hourLabel(9, 0, true)).toBe('9 AM');
    expect(hourLabel(21, 0, false)).toBe('21:00');
    expect(shortClock(21, 30, true)).toBe('9:30pm');
    expect(shortClock(10, 0, true)).toBe('10am');
    expect(shortClock(10, 0, false)).toBe('10:00');
  });
  it('never leaves an evening range ambiguous', () => {
    expect(clockRange({ h: 20, mi: 0 }, { h: 23, mi: 59 }, true)).toBe('8:00 – 11:59 PM');
    expect(clockRange({ h: 11, mi: 0 }, { h: 12, mi: 30 }, true)).toBe('11:00 AM – 12:30 PM');
    expect(clockRange({ h: 20, mi: 0 }, { h: 22, mi: 0 }, false)).toBe('20:00 – 22:00');
  });
});

describe('spanText', () => {
  it('says when an instance happens', () => {
    expect(spanText('2027-03-02T09:00:00', '2027-03-02T10:00:00', false, true, 2027, 'en-US')).toBe('Tue, Mar 2, 9:00 – 10:00 AM');
    expect(spanText('2027-03-02T22:00:00', '2027-03-03T01:00:00', false, false, 2026, 'en-US'))
      .toBe('Tue, Mar 2, 2027, 22:00 – Wed, Mar 3, 2027, 01:00');
    expect(spanText('2027-03-02', '2027-03-03', true, true, 2027, 'en-US')).toBe('Tue, Mar 2');
    expect(spanText('2027-03-02', '2027-03-05', true, true, 2027, 'en-US')).toBe('Tue, Mar 2 – Thu, Mar 4');
  });
});

describe('shortPeriod', () => {
  it('names a period in a few characters', () => {
    expect(shortPeriod('2027-03-10', '2027-03-13', 'days', 2027)).toBe('Mar 10 – 12');
    expect(shortPeriod('2027-03-29', '2027-04-05', 'days', 2027)).toBe('Mar 29 – Apr 4');
    expect(shortPeriod('2027-03-10', '2027-03-13', 'days', 2026)).toBe('Mar 10 – 12 2027');
    expect(shortPeriod('2027-03-10', '2027-03-11', 'day', 2027)).toBe('Mar 10');
    expect(shortPeriod('2027-03-01', '2027-04-01', 'month', 2027)).toBe('Mar 2027');
    expect(shortPeriod('2027-01-01', '2028-01-01', 'year', 2027)).toBe('2027');
  });
});
