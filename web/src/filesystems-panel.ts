/** The 'File systems' panel: space, inodes, time to full and what lies under each mount; and the next logrotate run. */

import { el } from './dom.js';
import type { FilesystemState, LogrotateScheduleState } from '../../shared/states.js';

type FsState = FilesystemState;
type Schedule = LogrotateScheduleState;

/** "2 h 12 min", "4 d 8 h" */
export function duration(seconds: number): string {
  const m = Math.max(0, Math.round(seconds / 60));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (d) return `${d} d ${h} h`;
  return h ? `${h} h ${m % 60} min` : `${m % 60} min`;
}

/** "next rotation 03:00, in 5 h 12 min" from the agent's schedule state, counted from the browser's clock. */
export function scheduleText(s: Schedule | undefined, now = Date.now()): string | null {
  if (!s) return null;
  if (s.error || s.next === undefined) return `next rotation: ${s.error ?? 'unknown'}`;
  const at = new Date(s.next);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return `next rotation ${hhmm}, in ${duration((s.next - now) / 1000)} (${s.detail ?? ''})`;
}

const pct = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} %`);

export class FilesystemsPanel {
  constructor(private readonly container: HTMLElement) {}

  render(states: Record<string, FsState> | undefined): void {
    const mounts = Object.values(states ?? {}).sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
    this.container.hidden = mounts.length === 0;
    const table = el('table', { class: 'facts-table' });
    const head = el('tr');
    for (const h of ['mount', 'available', 'inodes free', 'full in', 'device', 'holds']) head.append(el('th', {}, h));
    table.append(head);
    for (const m of mounts) {
      const tr = el('tr', { 'data-mount': m.mountPoint });
      const device = m.array ? `${m.device} → ${m.array} (${m.members.join(', ') || 'members unknown'})` : m.device;
      tr.append(
        el('td', {}, `${m.mountPoint} (${m.fsType})`),
        el('td', {}, pct(m.availPercent)),
        el('td', {}, pct(m.inodesFreePercent)),
        el('td', {}, m.timeToFullSeconds === null ? 'not filling' : duration(m.timeToFullSeconds)),
        el('td', {}, device),
        el('td', {}, m.holds.join(', ')),
      );
      table.append(tr);
    }
    (this.container.querySelector('.filesystems') as HTMLElement).replaceChildren(table);
  }
}
