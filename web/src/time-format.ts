/** One clock for the whole dashboard: 24-hour, the browser's time zone, dates when a span crosses days. */

const DAY = 86_400_000;

const timeFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const minuteFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** The zone the dashboard shows times in, e.g. "Europe/Berlin" or "UTC". */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function clock(ms: number): string {
  return timeFmt.format(ms);
}

/** A time with its date: "Nov 29 14:05". */
export function dateTime(ms: number): string {
  return `${dateFmt.format(ms)} ${minuteFmt.format(ms)}`;
}

/** An axis tick for a span: seconds within an hour, minutes within a day, dates beyond. */
export function axisTick(ms: number, spanMs: number): string {
  if (spanMs > DAY) return dateTime(ms);
  return spanMs > 3_600_000 ? minuteFmt.format(ms) : timeFmt.format(ms);
}

/** A range for labels: dates only when it does not sit within today. */
export function rangeText(from: number, to: number): string {
  const sameDay = new Date(from).toDateString() === new Date(to).toDateString();
  const today = new Date(to).toDateString() === new Date().toDateString();
  const f = (t: number) => (sameDay && today ? clock(t) : dateTime(t));
  return `${f(from)} – ${f(to)} (${TIME_ZONE})`;
}

/** "12 s", "5 min", "3 h": how long ago or how long for. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
