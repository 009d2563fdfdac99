/** Replica sets as a whole: each member mapped to the hosts whose agents run on it, with their disk and log-path verdicts. */
import type { ReplsetMemberView, ReplsetView } from '../../shared/overview.js';
import { el } from './dom.js';
import { hostLink } from './url.js';
import { setHeadline } from './replset-words.js';

function memberRow(m: ReplsetMemberView, open: (id: string) => void): HTMLElement {
  const tr = el('tr', { 'data-member': m.name, 'data-state': m.health === 1 ? 'up' : 'down' });
  const hosts = el('td', { class: 'member-hosts' });
  if (m.hosts.length === 0) hosts.append(el('span', { class: 'muted' }, 'no agent on this host'));
  for (const h of m.hosts) {
    const a = el('a', { href: hostLink(h.id), 'data-host': h.id, 'data-health': h.health }, h.id);
    a.onclick = (ev) => {
      if (ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      open(h.id);
    };
    hosts.append(a, el('span', { class: 'badge verdict', 'data-health': h.health }, h.health));
  }
  const verdicts = (list: { text: string }[], none: string) =>
    list.length ? list.map((r) => r.text).join('; ') : none;
  const disk = m.hosts.flatMap((h) => h.disk);
  const logs = m.hosts.flatMap((h) => h.logPaths);
  tr.append(
    el('th', { scope: 'row' }, m.name),
    el('td', {}, m.stateStr ?? '?'),
    el('td', {}, m.health === 1 ? 'up' : 'down'),
    el('td', {}, m.arbiter ? 'arbiter' : String(m.votes)),
    el('td', {}, m.lagSeconds === null ? '–' : `${m.lagSeconds.toFixed(0)} s`),
    hosts,
    el('td', { class: 'disk' }, m.hosts.length ? verdicts(disk, 'ok') : '–'),
    el('td', { class: 'logpaths' }, m.hosts.length ? verdicts(logs, 'ok') : '–'),
  );
  return tr;
}

function setCard(s: ReplsetView, open: (id: string) => void): HTMLElement {
  const card = el('article', { class: 'replset-view', 'data-set': s.set, 'data-health': s.health });
  const head = el('header');
  const { badge, byline } = setHeadline(s);
  head.append(
    el('h3', {}, `replica set ${s.set}`),
    el('span', { class: 'badge verdict', 'data-health': s.health }, badge),
    el('span', { class: 'muted' }, byline),
  );
  card.append(head, el('p', { class: 'summary' }, s.summary));
  for (const w of s.warnings) card.append(el('p', { class: 'disagreement' }, w));
  const table = el('table', { class: 'members' });
  const hr = el('tr');
  for (const h of ['member', 'state', 'health', 'votes', 'lag', 'host', 'disks and RAID', 'log paths'])
    hr.append(el('th', { scope: 'col' }, h));
  table.append(el('thead'));
  table.tHead!.append(hr);
  const body = el('tbody');
  body.append(...s.members.map((m) => memberRow(m, open)));
  table.append(body);
  const scroll = el('div', { class: 'table-scroll' });
  scroll.append(table);
  card.append(scroll);
  return card;
}

export function renderReplsets(container: HTMLElement, sets: ReplsetView[], open: (id: string) => void): void {
  container.replaceChildren(
    ...(sets.length
      ? sets.map((s) => setCard(s, open))
      : [el('p', { class: 'muted' }, 'No agent reports a replica set.')]),
  );
}
