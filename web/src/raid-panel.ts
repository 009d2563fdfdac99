/** The RAID panel of a host: one card per md array, rebuilt only when the array's report changes. */

import { el } from './dom.js';
import type { MdArrayState } from '../../shared/states.js';

type ArrayState = MdArrayState;

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  return `${h} h ${Math.round((seconds - h * 3600) / 60)} min`;
}

function card(a: ArrayState): HTMLElement {
  const root = el('article', { class: 'array', 'data-array': a.name, 'data-health': a.health });
  const head = el('header');
  head.append(
    el('strong', {}, a.name),
    el('span', { class: 'muted' }, ` ${a.level ?? '?'}`),
    el('span', { class: 'badge health', 'data-health': a.health }, a.health),
  );
  if (a.readOnly) head.append(el('span', { class: 'badge' }, 'read-only'));
  root.append(head);
  if (a.error) root.append(el('p', { class: 'error' }, a.error));
  const d = a.disks;
  const facts: string[] = [];
  if (d.expected !== null && d.active !== null) facts.push(`${d.active} of ${d.expected} disks working`);
  if (a.missingSlots.length) facts.push(`slot ${a.missingSlots.join(', ')} missing`);
  if (d.failed) facts.push(`${d.failed} failed`);
  if (d.spare) facts.push(`${d.spare} spare`);
  if (a.mismatchCnt) facts.push(`mismatch_cnt ${a.mismatchCnt}`);
  root.append(el('p', { class: 'facts' }, facts.join(' · ')));
  if (a.sync) {
    const s = a.sync;
    const sync = el('div', { class: 'sync', 'data-action': s.action });
    if (s.status === 'running' && s.percent !== null) {
      const bar = el('progress', { max: '100', value: String(s.percent) });
      const label = [`${s.action} ${s.percent.toFixed(1)} %`];
      if (s.speedKBps !== null) label.push(`${(s.speedKBps / 1024).toFixed(1)} MB/s`);
      if (s.etaSeconds !== null) label.push(`${duration(s.etaSeconds)} left`);
      sync.append(bar, el('span', { class: 'sync-label' }, label.join(' · ')));
    } else {
      sync.append(el('span', { class: 'sync-label' }, `${s.action} ${s.status}`));
    }
    root.append(sync);
  }
  const table = el('table', { class: 'members' });
  const headRow = el('tr');
  headRow.append(
    el('th', {}, 'member'),
    el('th', { title: 'descriptor number in /proc/mdstat' }, 'role'),
    el('th', {}, 'state'),
  );
  table.append(el('thead'));
  table.tHead!.append(headRow);
  const body = el('tbody');
  for (const m of a.members) {
    const tr = el('tr', { 'data-member': m.name, 'data-state': m.state });
    tr.append(el('td', {}, m.name), el('td', {}, m.index === null ? '–' : String(m.index)), el('td', {}, m.state));
    body.append(tr);
  }
  table.append(body);
  root.append(table);
  if (a.queue && a.queue.source !== 'none') {
    const q = a.queue;
    const src = q.source === 'members' ? ` (sum of members: ${q.fallbackReason ?? 'md gives no figure'})` : '';
    root.append(
      el(
        'p',
        { class: 'muted queue' },
        `queue ${q.aquSz?.toFixed(2) ?? '–'}, in flight ${q.inFlight ?? '–'}${src}; busiest member ${q.members.busiest ?? '–'} (aqu-sz ${q.members.aquSzMax.toFixed(2)}, ${q.members.utilMax.toFixed(0)} % util)`,
      ),
    );
  }
  for (const d of a.disagreements) root.append(el('p', { class: 'disagreement' }, d));
  return root;
}

export class RaidPanel {
  private readonly rendered = new Map<string, string>();

  constructor(private readonly container: HTMLElement) {}

  render(states: Record<string, MdArrayState> | undefined): void {
    const arrays = Object.values(states ?? {});
    this.container.hidden = arrays.length === 0;
    const list = this.container.querySelector('.arrays') as HTMLElement;
    const keep = new Set(arrays.map((a) => a.name));
    for (const name of [...this.rendered.keys()]) {
      if (!keep.has(name)) {
        list.querySelector(`[data-array="${CSS.escape(name)}"]`)?.remove();
        this.rendered.delete(name);
      }
    }
    for (const a of arrays) {
      // The queue figures change every second; the card's structure only when the report does.
      const key = JSON.stringify({ ...a, queue: undefined });
      const existing = list.querySelector(`[data-array="${CSS.escape(a.name)}"]`);
      if (this.rendered.get(a.name) === key && existing) {
        const q = card(a).querySelector('.queue');
        const old = existing.querySelector('.queue');
        if (q && old) old.replaceWith(q);
        continue;
      }
      this.rendered.set(a.name, key);
      const fresh = card(a);
      if (existing) existing.replaceWith(fresh);
      else list.append(fresh);
    }
  }

  clear(): void {
    this.rendered.clear();
    (this.container.querySelector('.arrays') as HTMLElement).replaceChildren();
    this.container.hidden = true;
  }
}
