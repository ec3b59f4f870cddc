import { describe, expect, it } from 'vitest';
import { assignColors, nextColor, PALETTE } from '../src/colors';

describe('calendar colours', () => {
  it('give each calendar its own', () => {
    const got = assignColors([
      { id: 'mine', color: '#1A73E8' },
      { id: 'shared', color: '#1a73e8' }, // the owner's, like mine
      { id: 'none', color: '' },
      { id: 'green', color: '#0b8043' },
    ]);
    expect([...got.keys()]).toEqual(['shared', 'none']);
    const picked = [...got.values()];
    expect(new Set(picked).size).toBe(2);
    for (const c of picked) expect(['#1a73e8', '#0b8043']).not.toContain(c);
  });
  it('leave distinct colours alone', () => {
    expect(assignColors([{ id: 'a', color: '#123456' }, { id: 'b', color: '#654321' }]).size).toBe(0);
  });
  it('pick the first free one', () => {
    expect(nextColor([])).toBe(PALETTE[0]);
    expect(nextColor([PALETTE[0].toUpperCase(), PALETTE[1]])).toBe(PALETTE[2]);
  });
});
