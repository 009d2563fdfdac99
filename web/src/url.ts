/** The view in the URL, so a link reproduces it: `?host=ID&from=&to=` (epoch ms, absent when live), `?view=replsets`. */

export type View = 'overview' | 'host' | 'replsets' | 'alerts';

export interface Route {
  view: View;
  host: string | null;
  /** null: live. */
  range: { from: number; to: number } | null;
  /** A chart to bring forward (an alert's metric) and label values whose lines to highlight. */
  metric: string | null;
  highlight: string[];
}

const VIEWS = new Set<View>(['overview', 'host', 'replsets', 'alerts']);

export function parseRoute(search: string): Route {
  const q = new URLSearchParams(search);
  const host = q.get('host');
  const rawView = q.get('view') as View | null;
  const view: View = rawView && VIEWS.has(rawView) ? rawView : host ? 'host' : 'overview';
  const from = Number(q.get('from'));
  const to = Number(q.get('to'));
  const range = q.has('from') && q.has('to') && from > 0 && to > from ? { from, to } : null;
  return { view, host, range, metric: q.get('metric'), highlight: q.getAll('hl') };
}

export function routeUrl(r: Route): string {
  const q = new URLSearchParams();
  if (r.view !== 'overview' && !(r.view === 'host' && r.host)) q.set('view', r.view);
  if (r.host && r.view === 'host') q.set('host', r.host);
  if (r.range) {
    q.set('from', String(Math.round(r.range.from)));
    q.set('to', String(Math.round(r.range.to)));
  }
  if (r.metric) q.set('metric', r.metric);
  for (const h of r.highlight) q.append('hl', h);
  const s = q.toString();
  return s ? `?${s}` : location.pathname;
}

/** A link to a host, optionally at a time range with a chart and lines highlighted. */
export function hostLink(host: string, extra: Partial<Route> = {}): string {
  return routeUrl({ view: 'host', host, range: null, metric: null, highlight: [], ...extra });
}
