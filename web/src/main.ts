/**
 * The dashboard's wiring: the route (from the URL, with back/forward), the
 * live socket, and which page is on screen. The pages own their state:
 * overview.ts (tiles), host-view.ts (charts and cards), replsets-view.ts,
 * alerts-panel.ts; time-range.ts and liveness.ts the header.
 */
import type { ServerToDashboard } from '../../shared/protocol.js';
import { api, authedFetch, connectLive, setToken, Unauthorized } from './api.js';
import { AlertsPanel } from './alerts-panel.js';
import { HostView } from './host-view.js';
import { Liveness } from './liveness.js';
import { Overview } from './overview.js';
import { renderReplsets } from './replsets-view.js';
import { TimeRange } from './time-range.js';
import { parseRoute, routeUrl, type Route } from './url.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

class App {
  private route: Route = parseRoute(location.search);
  private socket: WebSocket | null = null;
  private readonly liveness = new Liveness();
  private readonly hostView = new HostView((range) => this.go({ ...this.route, range }));
  private readonly overview = new Overview($('overview-page'), (id) => this.openHost(id));
  private readonly timeRange = new TimeRange((range) => this.go({ ...this.route, range, metric: null, highlight: [] }));
  private readonly hostAlerts = new AlertsPanel($('alerts'), authedFetch, (url) => this.goUrl(url));
  private readonly allAlerts = new AlertsPanel($('all-alerts'), authedFetch, (url) => this.goUrl(url));
  private paused = false;

  start(): void {
    window.addEventListener('popstate', () => this.apply(parseRoute(location.search)));
    document.addEventListener('click', (ev) => this.onLinkClick(ev));
    $('pause').onclick = () => this.togglePause();
    this.apply(this.route);
    connectLive(
      (m) => this.onLive(m),
      (s) => {
        this.liveness.connection(s);
        this.badge();
      },
      (ws) => {
        this.socket = ws;
        this.subscribe();
      },
    );
    setInterval(() => this.hostView.tick(), 1000);
    setInterval(() => void this.refreshSide(), 2000);
  }

  openHost(id: string): void {
    this.go({ view: 'host', host: id, range: null, metric: null, highlight: [] });
  }

  /** A new view: into the history (so back returns), then on screen. */
  go(route: Route): void {
    history.pushState(null, '', routeUrl(route));
    this.apply(route);
  }

  goUrl(url: string): void {
    history.pushState(null, '', url);
    this.apply(parseRoute(new URL(url, location.href).search));
  }

  /** In-page links (nav, tiles, "← Overview") change the route without a reload. */
  private onLinkClick(ev: MouseEvent): void {
    const a = (ev.target as HTMLElement).closest('a');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    const href = a.getAttribute('href');
    if (!href || !(href.startsWith('?') || href === location.pathname)) return;
    ev.preventDefault();
    this.goUrl(href);
  }

  private apply(route: Route): void {
    const before = this.route;
    this.route = route;
    for (const page of ['overview', 'host', 'replsets', 'alerts'])
      $(`${page}-page`).hidden = page !== (route.view === 'host' && !route.host ? 'overview' : route.view);
    for (const a of document.querySelectorAll<HTMLElement>('header nav a'))
      a.setAttribute('aria-current', String(a.dataset.view === route.view));
    $('range-controls').hidden = route.view !== 'host';
    document.title = route.view === 'host' && route.host ? `${route.host} · Tidemark` : 'Tidemark';
    this.timeRange.show(route.range);
    if (route.view === 'host' && route.host) {
      this.hostAlerts.host = route.host;
      void this.hostView.show(route).then(() => this.timeRange.show(route.range, this.resolution()));
    }
    this.badge();
    if (before.view !== route.view || before.host !== route.host) {
      this.subscribe();
      void this.refreshSide();
    }
  }

  private resolution(): number | null {
    return Number($('host-view').dataset.resolution) || null;
  }

  private subscribe(): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    const r = this.route;
    this.socket.send(
      JSON.stringify({
        type: 'subscribe',
        hosts: r.view === 'host' && r.host ? [r.host] : [],
        metrics: HostView.metrics(),
        overview: r.view === 'overview',
      }),
    );
  }

  private onLive(msg: ServerToDashboard): void {
    if (msg.type === 'overview') {
      if (msg.partial) this.overview.apply(msg.tiles, msg.spark);
      else this.overview.setAll(msg.tiles);
      $('no-hosts').hidden = this.overview.size > 0;
    } else if (msg.type === 'samples' && msg.host === this.hostView.hostId) {
      this.hostView.onSamples(msg.ts, msg.samples, msg.stateKinds, msg.states, msg.stateProblems);
    } else if (msg.type === 'hosts') {
      for (const h of msg.hosts) this.hostView.onHost(h);
    }
  }

  /** The pages that poll: alerts and replica sets. */
  private async refreshSide(): Promise<void> {
    const v = this.route.view;
    try {
      if (v === 'host') await this.hostAlerts.refresh();
      if (v === 'alerts') await this.allAlerts.refresh();
      if (v === 'replsets') renderReplsets($('replsets'), (await api.replsets()).sets, (id) => this.openHost(id));
    } catch {
      // the banner says when the server is away
    }
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.hostView.paused = this.paused;
    $('pause').textContent = this.paused ? 'Resume' : 'Pause';
    $('pause').setAttribute('aria-pressed', String(this.paused));
    if (!this.paused) this.hostView.resume();
    this.badge();
  }

  private badge(): void {
    this.liveness.badge(this.route.view === 'host' && this.route.range ? 'history' : this.paused ? 'paused' : 'live');
  }
}

async function boot(): Promise<void> {
  try {
    // The overview comes over the socket; this first fetch is the credential check.
    await api.overview();
  } catch (err) {
    if (err instanceof Unauthorized) {
      $('login-form').onsubmit = () => {
        setToken($<HTMLInputElement>('login-token').value);
        location.reload();
      };
      $<HTMLDialogElement>('login').showModal();
      return;
    }
  }
  new App().start();
}

void boot();
