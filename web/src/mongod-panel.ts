/** The mongod panel (lock wait %, queues, tickets, connections) and the replica-set view of a host. */

import { el } from './dom.js';
import { clock } from './time-format.js';
import { replsetBadge, unknownReplsetLines } from './replset-words.js';
import {
  mongodStatuses,
  type HostStates,
  type MONGOD_STATE_KIND,
  type MongodFigures,
  type MongodStatusState,
  type ReplsetState,
  type TicketState,
} from '../../shared/states.js';

type Figures = MongodFigures;

/** Connections as used of the limit (current + available), the figure that runs out. */
function connections(c: { current: number | null; available: number | null }): string {
  if (c.current === null) return '–';
  if (c.available === null) return `${c.current} used`;
  const limit = c.current + c.available;
  return `${c.current} used of ${limit} (${((100 * c.current) / limit).toFixed(1)} %)`;
}
type Ticket = TicketState;
type Quorum = ReplsetState;

const n = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits);

/** What the UI calls the lock figure: "lock wait %" from 3.0, "global lock held %" up to 2.6. */
export function lockLabel(kind: Figures['lockKind']): string {
  return kind === 'locked' ? 'global lock held' : 'lock wait';
}

export class MongodPanel {
  constructor(private readonly container: HTMLElement) {}

  render(mongod: HostStates[typeof MONGOD_STATE_KIND], replset: Record<string, ReplsetState> | undefined): void {
    const all = mongodStatuses(mongod);
    const sets = Object.values(replset ?? {});
    this.container.hidden = all.length === 0 && sets.length === 0;
    const box = this.container.querySelector('.mongod-cards') as HTMLElement;
    const cards: HTMLElement[] = [];
    for (const [instance, status] of all) cards.push(this.statusCard(status, instance));
    for (const q of sets) cards.push(this.replsetCard(q));
    box.replaceChildren(...cards);
  }

  private statusCard(s: MongodStatusState, instance: string): HTMLElement {
    const card = el('article', { class: 'mongod', 'data-up': String(s.up), 'data-instance': instance });
    const head = el('header');
    head.append(
      el('strong', {}, instance ? `mongod ${instance}` : 'mongod'),
      el('span', { class: 'muted' }, ` ${s.up ? (s.version ?? '') : ''} ${s.uri}`),
      el('span', { class: 'badge health', 'data-health': s.up ? 'clean' : 'degraded' }, s.up ? 'up' : 'down'),
    );
    card.append(head);
    if (!s.up) {
      card.append(el('p', { class: 'error' }, `down since ${clock(s.since)}: ${s.lastError}`));
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
      rows.push(['connections', connections(g.connections)]);
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
    const badge = replsetBadge(q);
    const card = el('article', { class: 'replset', 'data-set': q.set ?? '', 'data-ok': String(badge.ok) });
    const head = el('header');
    head.append(
      el('strong', {}, `replica set ${q.set ?? ''}`),
      el('span', { class: 'badge health', 'data-health': badge.health }, badge.text),
    );
    card.append(head);
    if (q.state === 'unknown') {
      // No members and no figures: the card is the error, and the primary serverStatus still names.
      for (const line of unknownReplsetLines(q)) card.append(el('p', { class: 'error' }, line));
      return card;
    }
    card.append(el('p', { class: 'summary' }, q.summary));
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
    // A wide set scrolls inside its card instead of overflowing it.
    const scroll = el('div', { class: 'table-scroll' });
    scroll.append(table);
    card.append(scroll);
    for (const w of q.warnings) card.append(el('p', { class: 'disagreement' }, w));
    return card;
  }
}
