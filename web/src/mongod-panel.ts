/** The mongod panel (lock wait %, queues, tickets, connections) and the replica-set view of a host. */

import { el } from './dom.js';

interface Figures {
  lockKind: 'locked' | 'wait' | null;
  lockPercent: number | null;
  lockPercentUncapped: number | null;
  contendedPercent: number | null;
}
interface Ticket {
  out: number;
  total: number;
  utilPercent: number | null;
}
interface MongodStatus {
  up: boolean;
  uri: string;
  version?: string | null;
  since?: number;
  lastError?: string | null;
  figures?: Figures | null;
  discarded?: string | null;
  missing?: string[];
  gauges?: {
    queued: { readers: number | null; writers: number | null };
    active: { readers: number | null; writers: number | null };
    tickets: { read: Ticket | null; write: Ticket | null };
    connections: { current: number | null; available: number | null };
  };
}
interface Member {
  name: string;
  stateStr: string | null;
  health: number | null;
  votes: number;
  priority: number;
  arbiter: boolean;
  lagSeconds: number | null;
}
interface Quorum {
  set: string | null;
  members: Member[];
  voters: number;
  majority: number;
  liveFaultTolerance: number;
  liveWriteFaultTolerance: number;
  primary: string | null;
  summary: string;
  warnings: string[];
}

type States = Record<string, Record<string, unknown>> | undefined;

const n = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits);

/** What the UI calls the lock figure: "lock wait %" from 3.0, "global lock held %" up to 2.6. */
export function lockLabel(kind: Figures['lockKind']): string {
  return kind === 'locked' ? 'global lock held' : 'lock wait';
}

/** Host-list verdict: mongod down, or a replica set at risk. */
export function mongodSummary(mongod: States, replset: States): { text: string; level: 'bad' | 'warn' } | null {
  const down = statuses(mongod).filter(([, st]) => !st.up);
  if (down.length)
    return { text: `mongod down${down[0]![0] ? ` (${down.map(([i]) => i).join(', ')})` : ''}`, level: 'bad' };
  for (const q of Object.values(replset ?? {}) as unknown as Quorum[]) {
    if (!q.primary) return { text: 'replica set: no primary', level: 'bad' };
    if (q.liveFaultTolerance < 1 || q.liveWriteFaultTolerance < 1)
      return { text: 'replica set at risk', level: 'warn' };
  }
  return null;
}

/** Each instance's status: key "status" for a lone mongod, "<instance> status" when the agent watches several. */
export function statuses(mongod: States): [instance: string, status: MongodStatus][] {
  return Object.entries(mongod ?? {})
    .filter(([k]) => k === 'status' || k.endsWith(' status'))
    .map(([k, v]) => [k === 'status' ? '' : k.slice(0, -' status'.length), v as unknown as MongodStatus]);
}

export class MongodPanel {
  constructor(private readonly container: HTMLElement) {}

  render(mongod: States, replset: States): void {
    const all = statuses(mongod);
    const sets = Object.values(replset ?? {}) as unknown as Quorum[];
    this.container.hidden = all.length === 0 && sets.length === 0;
    const box = this.container.querySelector('.mongod-cards') as HTMLElement;
    const cards: HTMLElement[] = [];
    for (const [instance, status] of all) cards.push(this.statusCard(status, instance));
    for (const q of sets) cards.push(this.replsetCard(q));
    box.replaceChildren(...cards);
  }

  private statusCard(s: MongodStatus, instance: string): HTMLElement {
    const card = el('article', { class: 'mongod', 'data-up': String(s.up), 'data-instance': instance });
    const head = el('header');
    head.append(
      el('strong', {}, instance ? `mongod ${instance}` : 'mongod'),
      el('span', { class: 'muted' }, ` ${s.version ?? ''} ${s.uri}`),
      el('span', { class: 'badge health', 'data-health': s.up ? 'clean' : 'degraded' }, s.up ? 'up' : 'down'),
    );
    card.append(head);
    if (!s.up) {
      card.append(
        el(
          'p',
          { class: 'error' },
          `down since ${s.since ? new Date(s.since).toLocaleTimeString() : '?'}: ${s.lastError ?? ''}`,
        ),
      );
      return card;
    }
    const f = s.figures;
    const g = s.gauges;
    const rows: [string, string][] = [];
    if (f?.lockKind)
      rows.push([
        `${lockLabel(f.lockKind)} %`,
        `${n(f.lockPercent)} %${f.lockPercentUncapped !== null && f.lockPercentUncapped > 100 ? ` (uncapped ${n(f.lockPercentUncapped)} %)` : ''}`,
      ]);
    else if (s.discarded) rows.push(['lock %', `interval discarded: ${s.discarded}`]);
    if (f?.contendedPercent !== null && f?.contendedPercent !== undefined)
      rows.push(['contended acquisitions', `${n(f.contendedPercent, 2)} %`]);
    if (g?.queued) {
      rows.push(['queued r | w', `${n(g.queued.readers)} | ${n(g.queued.writers)}`]);
      rows.push(['active r | w', `${n(g.active.readers)} | ${n(g.active.writers)}`]);
      const t = (x: Ticket | null) => (x ? `${x.out}/${x.total} (${n(x.utilPercent)} %)` : '–');
      if (g.tickets.read || g.tickets.write)
        rows.push(['tickets read | write', `${t(g.tickets.read)} | ${t(g.tickets.write)}`]);
      rows.push(['connections', `${n(g.connections.current)} current, ${n(g.connections.available)} available`]);
    }
    const table = el('table', { class: 'facts-table' });
    for (const [k, v] of rows) {
      const tr = el('tr', { 'data-fact': k });
      tr.append(el('th', {}, k), el('td', {}, v));
      table.append(tr);
    }
    card.append(table);
    for (const m of s.missing ?? []) card.append(el('p', { class: 'muted' }, `not available: ${m}`));
    return card;
  }

  private replsetCard(q: Quorum): HTMLElement {
    const ok = q.primary && q.liveFaultTolerance >= 1 && q.liveWriteFaultTolerance >= 1;
    const card = el('article', { class: 'replset', 'data-set': q.set ?? '', 'data-ok': String(!!ok) });
    const head = el('header');
    head.append(
      el('strong', {}, `replica set ${q.set ?? ''}`),
      el(
        'span',
        { class: 'badge health', 'data-health': ok ? 'clean' : q.primary ? 'rebuilding' : 'degraded' },
        ok ? 'survives 1 failure' : q.primary ? 'at risk' : 'no primary',
      ),
    );
    card.append(head, el('p', { class: 'summary' }, q.summary));
    const table = el('table', { class: 'members' });
    const hr = el('tr');
    for (const h of ['member', 'state', 'health', 'votes', 'priority', 'lag']) hr.append(el('th', {}, h));
    table.append(hr);
    for (const m of q.members) {
      const tr = el('tr', { 'data-member': m.name, 'data-state': m.health === 1 ? 'in_sync' : 'faulty' });
      tr.append(
        el('td', {}, m.name),
        el('td', {}, m.stateStr ?? '?'),
        el('td', {}, m.health === 1 ? 'up' : 'down'),
        el('td', {}, String(m.votes)),
        el('td', {}, m.arbiter ? 'arbiter' : String(m.priority)),
        el('td', {}, m.lagSeconds === null ? '' : `${n(m.lagSeconds)} s`),
      );
      table.append(tr);
    }
    card.append(table);
    for (const w of q.warnings) card.append(el('p', { class: 'disagreement' }, w));
    return card;
  }
}
