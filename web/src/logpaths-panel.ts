/** The 'Log paths' panel: the latest logrotate and mongod.conf checks of a host, ok or what is wrong and why. */

import { el } from './dom.js';
import type { Finding } from '../../shared/findings.js';

interface CheckState {
  check: string;
  /** Set when the agent watches several mongods. */
  instance?: string | null;
  file: string | null;
  ok: boolean;
  counts: { error: number; warning: number };
  findings: Finding[];
  checkedAt: number;
  error?: string;
}

const TITLES: Record<string, string> = {
  logrotate: 'logrotate',
  'mongod-config': 'mongod.conf',
  'mongod-running': 'running mongod',
};

/** Host-list verdict: "Log paths: 2 errors", or null when every check passes. */
export function logPathSummary(states: Record<string, Record<string, unknown>> | undefined): string | null {
  const checks = Object.values(states ?? {}) as unknown as CheckState[];
  const errors = checks.reduce((n, c) => n + (c.ok ? 0 : Math.max(1, c.counts.error)), 0);
  return errors ? `Log paths: ${errors} error${errors === 1 ? '' : 's'}` : null;
}

export class LogPathsPanel {
  private rendered = '';

  constructor(private readonly container: HTMLElement) {}

  render(states: Record<string, Record<string, unknown>> | undefined): void {
    const checks = (Object.values(states ?? {}) as unknown as CheckState[]).sort((a, b) =>
      `${a.instance ?? ''} ${a.check}`.localeCompare(`${b.instance ?? ''} ${b.check}`),
    );
    this.container.hidden = checks.length === 0;
    // Results change once a minute at most; redraw only then.
    const key = JSON.stringify(checks.map((c) => ({ ...c, checkedAt: 0 })));
    if (key === this.rendered) return;
    this.rendered = key;
    const list = this.container.querySelector('.checks') as HTMLElement;
    list.replaceChildren(
      ...checks.map((c) => {
        const card = el('article', { class: 'check', 'data-check': c.check, 'data-ok': String(c.ok) });
        const head = el('header');
        head.append(
          el('strong', {}, `${TITLES[c.check] ?? c.check}${c.instance ? ` ${c.instance}` : ''}`),
          el('span', { class: 'muted' }, ` ${c.file ?? ''}`),
          el('span', { class: 'badge health', 'data-health': c.ok ? 'clean' : 'degraded' }, c.ok ? 'ok' : 'failing'),
        );
        card.append(head);
        if (c.error) card.append(el('p', { class: 'error' }, c.error));
        if (c.findings.length === 0 && !c.error)
          card.append(
            el(
              'p',
              { class: 'muted' },
              c.check === 'logrotate'
                ? 'every rotation would succeed'
                : c.check === 'mongod-running'
                  ? 'mongod writes its log where its options say, and can keep doing so'
                  : 'mongod can start and keep logging',
            ),
          );
        for (const f of c.findings) {
          const item = el('div', { class: 'finding', 'data-severity': f.severity, 'data-code': f.code });
          item.append(
            el('div', { class: 'where' }, `${f.severity} · ${f.file}:${f.line}${f.target ? ` · ${f.target}` : ''}`),
            el('div', { class: 'message' }, f.message),
          );
          if (f.fix) item.append(el('div', { class: 'fix muted' }, `fix: ${f.fix}`));
          card.append(item);
        }
        card.append(el('p', { class: 'muted checked' }, `checked ${new Date(c.checkedAt).toLocaleTimeString()}`));
        return card;
      }),
    );
  }

  clear(): void {
    this.rendered = '';
    (this.container.querySelector('.checks') as HTMLElement).replaceChildren();
    this.container.hidden = true;
  }
}
