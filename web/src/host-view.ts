/**
 * The host view: header, state cards and charts of one host, live or over a
 * fixed range. Every load carries a generation number and an AbortController:
 * switching host or range aborts the fetches in flight, and an answer that
 * arrives for an older generation is dropped, so a slow response can never
 * draw one host's history over another's.
 */
import type { HostSummary, StateProblem, WireSample, WireState } from '../../shared/protocol.js';
import {
  FILESYSTEM_STATE_KIND,
  LOGPATH_STATE_KIND,
  LOGROTATE_SCHEDULE_STATE_KIND,
  MONGOD_RUNNING_STATE_KIND,
  MONGOD_STATE_KIND,
  RAID_STATE_KIND,
  REPLSET_STATE_KIND,
  mongodStatuses,
} from '../../shared/states.js';
import { FilesystemsPanel, scheduleText } from './filesystems-panel.js';
import { renderRetireButton } from './retire.js';
import { checkedStates, mergeStates, type HostStates as CheckedStates } from './state-check.js';
import { api, type SeriesSource } from './api.js';
import { el } from './dom.js';
import { LiveChart, type SeriesResult } from './live-chart.js';
import { LogPathsPanel } from './logpaths-panel.js';
import { MongodPanel } from './mongod-panel.js';
import { HOST_PANELS, MONGOD_PANELS, RAID_PANELS, type PanelSpec } from './panels.js';
import { RaidPanel } from './raid-panel.js';
import { dateTime, duration } from './time-format.js';
import type { Route } from './url.js';
import { attachZoomPan } from './zoom.js';
import { errorMessage } from '../../shared/errors.js';

export const WINDOW_MS = 5 * 60_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface Mounted {
  chart: LiveChart;
  el: HTMLElement;
}

export class HostView {
  private host: HostSummary | null = null;
  private route: Route | null = null;
  private charts: Mounted[] = [];
  private generation = 0;
  private aborter = new AbortController();
  paused = false;
  private readonly raid = new RaidPanel($('raid'));
  private readonly logPaths = new LogPathsPanel($('logpaths'));
  private readonly mongod = new MongodPanel($('mongod'));
  private readonly filesystems = new FilesystemsPanel($('filesystems'));
  /** What was wrong with the states this host's agent sent that could not be rendered. */
  private stateProblems: string[] = [];
  /** The states the server set aside for their shape: it shows their keys' last good values, if any. */
  private setAside: StateProblem[] = [];

  /** `onRange` is asked to show a range (wheel zoom, drag): the app puts it in the URL. */
  constructor(private readonly onRange: (range: { from: number; to: number }) => void) {}

  /** Every metric a chart of this view may draw, for the live subscription. */
  static metrics(): string[] {
    const specs = [...HOST_PANELS, ...RAID_PANELS, ...MONGOD_PANELS];
    return [...new Set(specs.flatMap((p) => (p.ratio ? [p.ratio.used.metric] : p.series.map((s) => s.metric))))];
  }

  get hostId(): string | null {
    return this.route?.host ?? null;
  }

  /** Shows a host live or over a range; the previous load, if still running, is abandoned. */
  async show(route: Route): Promise<void> {
    const gen = ++this.generation;
    this.aborter.abort();
    this.aborter = new AbortController();
    const signal = this.aborter.signal;
    const id = route.host!;
    const sameHost = this.route?.host === id;
    this.route = route;
    this.reset(sameHost);
    $('host-title').textContent = id;
    document.title = `${id} · Tidemark`;
    $('history-note').hidden = !route.range;
    let host: HostSummary;
    try {
      host = await api.host(id, signal);
    } catch (err) {
      if (gen !== this.generation) return;
      $('host-meta').textContent = `unknown host: ${errorMessage(err)}`;
      return;
    }
    if (gen !== this.generation) return;
    // Only states that can be rendered reach the panels; the rest are this host's error, shown in its header.
    const checked = checkedStates(host.states);
    host.states = checked.states;
    this.stateProblems = checked.problems;
    this.setAside = host.stateProblems ?? [];
    this.host = host;
    this.renderHeader();
    this.renderStates(); // the load below covers any charts it adds
    await this.load(gen, signal);
  }

  private reset(sameHost: boolean): void {
    for (const c of this.charts) c.chart.destroy();
    this.charts = [];
    for (const id of ['charts', 'raid-charts', 'mongod-charts']) $(id).replaceChildren();
    if (!sameHost) {
      this.host = null;
      this.raid.clear();
      this.logPaths.clear();
      this.mongod.render(undefined, undefined);
      this.filesystems.render(undefined);
      $('host-meta').textContent = '';
      $('collector-states').replaceChildren();
    }
    for (const p of HOST_PANELS) this.addChart($('charts'), p);
  }

  private addChart(grid: HTMLElement, spec: PanelSpec): void {
    const route = this.route!;
    const box = el('figure', { class: 'chart', 'data-metric': spec.id, tabindex: '0' });
    const canvas = el('canvas', {
      role: 'img',
      'aria-label': `${spec.title} in ${spec.unit}. Ctrl + wheel or click then wheel to zoom, drag to pan.`,
    });
    box.append(canvas);
    if (route.metric && spec.series.concat(spec.ratio ? [spec.ratio.used] : []).some((s) => s.metric === route.metric))
      box.dataset.highlight = 'true';
    grid.append(box);
    const chart = new LiveChart(canvas, spec, WINDOW_MS, route.highlight);
    attachZoomPan(box, chart, () => this.currentRange(), this.onRange);
    this.charts.push({ chart, el: box });
  }

  private currentRange(): { from: number; to: number } {
    return this.route?.range ?? { from: Date.now() - WINDOW_MS, to: Date.now() };
  }

  /** Backfills the live window, or draws the fixed range, for every chart. */
  private async load(gen: number, signal: AbortSignal): Promise<void> {
    const range = this.route!.range;
    const id = this.route!.host!;
    const metrics = [...new Set(this.charts.flatMap((c) => c.chart.metrics()))];
    const from = range?.from ?? Date.now() - WINDOW_MS;
    let results: { metric: string; resolutionMs: number | null; source?: SeriesSource; series: SeriesResult[] }[];
    try {
      results = await Promise.all(
        metrics.map(async (metric) => ({
          metric,
          ...(await api.series(id, metric, from, range?.to, signal, range ? 'history' : 'local')),
        })),
      );
    } catch {
      return; // aborted by a newer view, or the server is away (the banner says so)
    }
    if (gen !== this.generation) return;
    const byMetric = new Map(results.map((r) => [r.metric, r.series]));
    const sources = new Map(results.map((r) => [r.metric, r.source]));
    for (const c of this.charts) {
      showSource(c.el, sources.get(c.chart.metrics()[0] ?? ''), range !== null);
      if (range) c.chart.showRange(range.from, range.to, byMetric);
      else
        for (const m of c.chart.metrics())
          for (const s of byMetric.get(m) ?? []) for (const [ts, v] of s.points) c.chart.add(m, s.labels, ts, v);
      c.el.dataset.points = String(c.chart.pointCount());
      c.el.dataset.highlighted = c.chart.highlighted().join(' ');
      // What the chart shows, for tests and scripts: its range, or that it follows now.
      c.el.dataset.axis = range ? c.chart.axis().join(' ') : 'live';
    }
    const step = results.find((r) => r.resolutionMs)?.resolutionMs ?? null;
    $('host-view').dataset.resolution = step ? String(step) : '';
    if (!range) this.renderCharts(Date.now());
    $('charts').querySelector<HTMLElement>('[data-highlight="true"]')?.scrollIntoView({ block: 'center' });
    $('host-view').dataset.loaded = String(gen);
  }

  private renderCharts(now: number): void {
    if (this.route?.range) return;
    for (const c of this.charts) {
      if (!this.paused) c.chart.render(now);
      c.el.dataset.points = String(c.chart.pointCount());
    }
  }

  resume(): void {
    this.renderCharts(Date.now());
  }

  /** A live batch of the shown host: samples onto the charts (when live), states into the cards. */
  onSamples(
    ts: number,
    samples: WireSample[],
    stateKinds: string[] | undefined,
    states: WireState[] | undefined,
    setAside: StateProblem[] = [],
  ): void {
    if (!this.host) return;
    if (!this.route?.range) {
      for (const c of this.charts) for (const s of samples) c.chart.add(s.m, s.l, ts, s.v);
      this.renderCharts(ts);
    }
    this.host.lastSeen = Date.now();
    const problems = mergeStates(this.host.states as CheckedStates, stateKinds, states);
    // A push with states says which of them the server set aside (none: the list is empty again).
    const withStates = stateKinds !== undefined || states !== undefined;
    if (withStates) this.setAside = setAside;
    if (stateKinds?.length || problems.length || withStates) {
      this.stateProblems = problems;
      this.renderHeader();
    }
    // New RAID or mongod charts need their recent history; the others have it already.
    if (stateKinds?.length && this.renderStates()) void this.load(this.generation, this.aborter.signal);
  }

  /** A host-list push for this host (connected, collectors). */
  onHost(h: HostSummary): void {
    if (!this.host || h.id !== this.host.id) return;
    Object.assign(this.host, {
      connected: h.connected,
      lastSeen: h.lastSeen,
      collectors: h.collectors,
      agentVersion: h.agentVersion,
      hostname: h.hostname,
    });
    this.renderHeader();
  }

  /** Refreshes the "seen … ago" line. */
  tick(): void {
    if (this.host) this.renderHeader();
  }

  private renderHeader(): void {
    const h = this.host!;
    const inv = h.inventory as { os?: { distro?: string; kernel?: string } } | null;
    const seen =
      h.lastSeen === null
        ? 'never seen'
        : `last seen ${duration(Date.now() - h.lastSeen)} ago (${dateTime(h.lastSeen)})`;
    $('host-meta').textContent = [
      h.connected ? 'connected' : 'disconnected',
      seen,
      h.hostname !== h.id ? `on ${h.hostname}` : null,
      h.agentVersion ? `agent ${h.agentVersion}` : null,
      inv?.os ? `${inv.os.distro ?? ''} kernel ${inv.os.kernel ?? ''}` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    $('host-header').dataset.connected = String(h.connected);
    const bad = [...this.setAside.map((p) => setAsideText(p, this.host!.states)), ...this.stateProblems];
    $('state-problems').textContent = bad.length
      ? `bad state from agent: ${bad[0]}${bad.length > 1 ? ` (+${bad.length - 1} more)` : ''}`
      : '';
    renderRetireButton($('host-header'), h);
    $('collector-states').replaceChildren(
      ...h.collectors.map((c) => {
        const li = el('li', { 'data-state': c.state }, `${c.name}: ${c.state}`);
        if (c.message) li.title = c.message;
        return li;
      }),
    );
  }

  /** Renders the state cards; true when it added the RAID or mongod charts, whose history the caller then loads. */
  private renderStates(): boolean {
    const s = this.host!.states;
    let added = false;
    this.raid.render(s[RAID_STATE_KIND]);
    if (Object.keys(s[RAID_STATE_KIND] ?? {}).length && $('raid-charts').childElementCount === 0) {
      for (const p of RAID_PANELS) this.addChart($('raid-charts'), p);
      added = true;
    }
    // The running mongods' checks sit with the configuration checks: together they say whether logging survives.
    this.logPaths.render({ ...s[LOGPATH_STATE_KIND], ...s[MONGOD_RUNNING_STATE_KIND] });
    const schedule = document.querySelector<HTMLElement>('#logpaths .schedule');
    if (schedule) schedule.textContent = scheduleText(s[LOGROTATE_SCHEDULE_STATE_KIND]?.next) ?? '';
    this.filesystems.render(s[FILESYSTEM_STATE_KIND]);
    this.mongod.render(s[MONGOD_STATE_KIND], s[REPLSET_STATE_KIND]);
    if (mongodStatuses(s[MONGOD_STATE_KIND]).length && $('mongod-charts').childElementCount === 0) {
      for (const p of MONGOD_PANELS) this.addChart($('mongod-charts'), p);
      added = true;
    }
    return added;
  }
}

/** Says on a chart which store its points came from, so a history range read from the shared store is not mistaken for this server's. */
function showSource(box: HTMLElement, source: SeriesSource | undefined, history: boolean): void {
  if (!source) return;
  box.dataset.source = source.kind;
  let note = box.querySelector<HTMLElement>('.chart-source');
  if (!note) box.append((note = el('figcaption', { class: 'chart-source' })));
  // Short, to stay clear of the chart's title on a narrow chart; the store's address is in the tooltip.
  note.textContent = `${history ? 'history' : 'live'}: ${source.kind === 'remote' ? 'shared store' : 'this server'}`;
  note.title = `${history ? 'history' : 'live'} from ${source.name}`;
}

/** A state the server set aside, as the header names it: what was wrong, and what its card shows instead. */
function setAsideText(p: StateProblem, states: HostSummary['states']): string {
  const shown = states[p.kind]?.[p.key] ? 'its last good value is shown' : 'not shown';
  return `state ${p.kind}/${p.key}: ${p.problem} (${shown})`;
}
