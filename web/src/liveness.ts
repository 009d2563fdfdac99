/** Honest liveness: the badge, and a banner that says when the live connection dropped and since when data is stale. */
import { clock, duration } from './time-format.js';

const $ = (id: string) => document.getElementById(id)!;

export type LiveState = 'connecting' | 'live' | 'offline' | 'paused' | 'history';

export class Liveness {
  /** When the live connection was lost; null while connected. */
  private lostAt: number | null = null;
  connected = false;

  constructor() {
    setInterval(() => this.renderBanner(), 1000);
  }

  connection(state: 'live' | 'offline'): void {
    this.connected = state === 'live';
    if (state === 'live') this.lostAt = null;
    else this.lostAt ??= Date.now();
    this.renderBanner();
  }

  /** The badge: the connection first, then what the view shows. */
  badge(view: 'live' | 'paused' | 'history'): void {
    const state: LiveState = this.connected ? view : this.lostAt === null ? 'connecting' : 'offline';
    const b = $('live-state');
    b.dataset.state = state;
    b.textContent = state;
  }

  private renderBanner(): void {
    const banner = $('stale-banner');
    if (banner.hidden !== (this.lostAt === null)) banner.hidden = this.lostAt === null;
    // Written only when it changes: an attribute on <body> restyles the whole page.
    const stale = String(this.lostAt !== null);
    if (document.body.dataset.stale !== stale) document.body.dataset.stale = stale;
    if (this.lostAt === null) return;
    // The sentence is announced once; the age beside it ticks without being read out every second.
    const text = `Live connection lost at ${clock(this.lostAt)}: everything shown is stale since then. Reconnecting…`;
    const msg = $('stale-text');
    if (msg.textContent !== text) msg.textContent = text;
    $('stale-age').textContent = ` (${duration(Date.now() - this.lostAt)} ago)`;
  }
}
