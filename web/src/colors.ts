// A colour for each calendar: one the user chose, or, for a calendar
// without one or with the colour of a calendar listed before it, the next
// of a palette that no calendar shown uses yet.

export const PALETTE = [
  '#1a73e8', '#0b8043', '#d50000', '#f4511e', '#8e24aa', '#e4a400',
  '#039be5', '#e67c73', '#33b679', '#3f51b5', '#616161', '#795548',
];

const norm = (c: string) => c.trim().toLowerCase().slice(0, 7);

/** The first palette colour none of used has (cycling when all are taken). */
export function nextColor(used: Iterable<string>): string {
  const taken = new Set([...used].map(norm));
  return PALETTE.find((c) => !taken.has(c)) ?? PALETTE[taken.size % PALETTE.length];
}

/**
 * The calendars (in the order they are listed) that need a colour of
 * their own, with the colour each gets: those without one, and those
 * whose colour a calendar before them has.
 */
export function assignColors(cals: { id: string; color: string }[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const c of cals) {
    const mine = c.color ? norm(c.color) : '';
    if (mine && !used.has(mine)) {
      used.add(mine);
      continue;
    }
    const next = nextColor([...used, ...cals.map((x) => x.color).filter(Boolean)]);
    used.add(next);
    out.set(c.id, next);
  }
  return out;
}
