// The address names what is on the screen, so that a reload stays there,
// Back and Forward move between views and a link can be shared:
// /week/2026-03-02, /month/2026-03-01?event=ID, /search?q=…, /settings.

/** The views, by the name the address uses and FullCalendar's. */
export const VIEWS: [name: string, type: string][] = [
  ['day', 'timeGridDay'],
  ['3days', 'timeGridThreeDay'],
  ['week', 'timeGridWeek'],
  ['month', 'dayGridMonth'],
  ['year', 'multiMonthYear'],
  ['schedule', 'listWeek'],
];

export interface Route {
  page: 'calendar' | 'settings' | 'search';
  view?: string; // FullCalendar's view type
  date?: string; // YYYY-MM-DD
  event?: string; // an event or instance id to open
  q?: string; // a search
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Reads an address (path and query); anything unknown is the default view. */
export function parseRoute(path: string, query: string): Route {
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  if (parts[0] === 'settings') return { page: 'settings' };
  if (parts[0] === 'search') return { page: 'search', q: params.get('q') ?? '' };
  const r: Route = { page: 'calendar' };
  const view = VIEWS.find(([name]) => name === parts[0]);
  if (view) r.view = view[1];
  if (parts[1] && DATE.test(parts[1]) && !Number.isNaN(Date.parse(parts[1]))) r.date = parts[1];
  const ev = params.get('event');
  if (ev) r.event = ev;
  return r;
}

/** The address of a route. */
export function routePath(r: Route): string {
  if (r.page === 'settings') return '/settings';
  if (r.page === 'search') return `/search?${new URLSearchParams({ q: r.q ?? '' })}`;
  const name = VIEWS.find(([, type]) => type === r.view)?.[0] ?? 'week';
  let p = `/${name}`;
  if (r.date) p += `/${r.date}`;
  if (r.event) p += `?${new URLSearchParams({ event: r.event })}`;
  return p;
}
