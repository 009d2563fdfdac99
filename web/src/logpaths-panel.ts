/** The 'Log paths' panel: the latest logrotate and mongod.conf checks of a host, ok or what is wrong and why. */

import { el } from './dom.js';
import { clock } from './time-format.js';
import type { LogPathCheckState } from '../../shared/states.js';

const TITLES: Record<string, string> = {
  logrotate: 'logrotate',
  'mongod-config': 'mongod.conf',
  'mongod-running': 'running mongod',
};

export class LogPathsPanel {
  private rendered = '';

  constructor(private readonly container: HTMLElement) {}

  render(states: Record<string, LogPathCheckState> | undefined): void {
    const checks = Object.values(states ?? {}).sort((a, b) =>
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
        card.append(el('p', { class: 'muted checked' }, `checked ${clock(c.checkedAt)}`));
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
