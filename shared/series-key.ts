/**
 * A series' canonical key, with no dependencies: the store and the alert
 * engine need it, and must not load the wire protocol's schema library for it.
 */

/** Canonical series key: metric plus sorted labels, e.g. `disk_util_percent{device="sda"}`. */
export function seriesKey(metric: string, labels: Record<string, string> | undefined): string {
  if (!labels) return metric;
  const keys = Object.keys(labels);
  if (keys.length === 0) return metric;
  keys.sort();
  return `${metric}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}
