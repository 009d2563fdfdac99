/** The shape of a catalogue entry; the entries themselves are in the files beside this one. */

export type MetricKind = 'gauge' | 'counter';

export type Unit =
  | 'percent'
  | 'ops/s'
  | 'kB/s'
  | 'ms'
  | 'µs'
  | 'requests'
  | 'batches'
  | 'seconds'
  | 'disks'
  | 'ratio'
  | 'boolean'
  | 'count'
  | 'bytes';

export interface MetricDef<N extends string = string> {
  name: N;
  unit: Unit;
  kind: MetricKind;
  /** Labels every sample of this metric carries, besides `host` (added by the server). */
  labels: readonly string[];
  help: string;
  /** Short human title for charts and tables. */
  title: string;
  domain: Domain;
}

export type Domain = 'cpu' | 'disk' | 'raid' | 'pressure' | 'logpath' | 'mongod' | 'replset' | 'agent' | 'filesystem';

/** A maker of gauges of one domain, with that domain's usual labels. */
export function gaugesOf(domain: Domain, usualLabels: readonly string[]) {
  return <N extends string>(
    name: N,
    unit: Unit,
    title: string,
    help: string,
    labels: readonly string[] = usualLabels,
  ): MetricDef<N> => ({ name, unit, kind: 'gauge', labels, domain, title, help });
}

/** Gauges of one domain from a table `name: [unit, title, help]`, in the table's order, with the given labels. */
export function gaugeTable<T extends Record<string, readonly [unit: Unit, title: string, help: string]>>(
  domain: Domain,
  labels: readonly string[],
  table: T,
): MetricDef<Extract<keyof T, string>>[] {
  const defs: MetricDef<Extract<keyof T, string>>[] = [];
  for (const name in table) {
    const [unit, title, help] = table[name]!;
    defs.push({ name, unit, kind: 'gauge', labels, domain, title, help });
  }
  return defs;
}
