import type { HostSummary, ServerToDashboard } from '../../shared/protocol.js';
import type { MetricDef } from '../../shared/catalogue.js';
import { api, authedFetch, connectLive, setToken, Unauthorized } from './api.js';
import { AlertsPanel } from './alerts-panel.js';
import { LiveChart } from './live-chart.js';
import { RaidPanel, raidSummary } from './raid-panel.js';
import { LogPathsPanel, logPathSummary } from './logpaths-panel.js';
import { MongodPanel, mongodSummary } from './mongod-panel.js';
import { checkedStates, mergeStates } from './state-check.js';

/** The charts of the host view: which metric, and which label names a line. */
const PANELS: { metric: string; labelKey: string | null; only?: Record<string, string> }[] = [
  { metric: 'cpu_iowait_percent', labelKey: 'cpu', only: { cpu: 'all' } },
  { metric: 'io_pressure_avg10_percent', labelKey: 'kind' },
  { metric: 'disk_r_per_s', labelKey: 'device' },
  { metric: 'disk_w_per_s', labelKey: 'device' },
  { metric: 'disk_util_percent', labelKey: 'device' },
  { metric: 'disk_aqu_sz', labelKey: 'device' },
  { metric: 'disk_r_await_ms', labelKey: 'device' },
  { metric: 'disk_w_await_ms', labelKey: 'device' },
  { metric: 'disk_in_flight', labelKey: 'device' },
];
/** Array and member queue depth, shown when the host has md arrays. */
const RAID_PANELS: typeof PANELS = [
  { metric: 'raid_array_aqu_sz', labelKey: 'array' },
  { metric: 'raid_members_aqu_sz_max', labelKey: 'array' },
];
/** mongod charts, shown when the host reports a mongod. */
const MONGOD_PANELS: typeof PANELS = [
  { metric: 'mongod_lock_percent', labelKey: 'kind' },
  { metric: 'mongod_queued', labelKey: 'op' },
  { metric: 'mongod_tickets_util_percent', labelKey: 'op' },
  { metric: 'mongod_connections', labelKey: 'state' },
  { metric: 'mongod_opcounter_rate', labelKey: 'op' },
];
const MONGOD_KIND = 'mongod';
const REPLSET_KIND = 'replset';
const RAID_KIND = 'raid_array';
const LOGPATH_KIND = 'logpaths';
const WINDOW_MS = 5 * 60_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let catalogue = new Map<string, MetricDef>();
let hosts: HostSummary[] = [];
let selected: string | null = null;
let charts: { panel: (typeof PANELS)[number]; chart: LiveChart; el: HTMLElement }[] = [];
let paused = false;
/** null: live; otherwise a fixed historical range being shown. */
let range: { from: number; to: number } | null = null;
let live: WebSocket | null = null;
let raidPanel: RaidPanel;
let logPathsPanel: LogPathsPanel;
let mongodPanel: MongodPanel;

function ago(ms: number | null): string {
  if (ms === null) return 'never seen';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `last seen ${s} s ago`;
  if (s < 3600) return `last seen ${Math.round(s / 60)} min ago`;
  return `last seen ${new Date(ms).toLocaleString()}`;
}

function renderHosts(): void {
  renderHostList();
  const host = hosts.find((h) => h.id === selected);
  if (host) renderHostHeader(host);
}

/** States an agent sent that cannot be rendered, per host: shown as that host's error, never rendered. */
const stateProblems = new Map<string, string[]>();

/** Hosts as they arrive from the server, with only the states that can be rendered kept. */
function checkedHosts(list: HostSummary[]): HostSummary[] {
  for (const h of list) {
    const c = checkedStates(h.states);
    h.states = c.states;
    stateProblems.set(h.id, c.problems);
  }
  return list;
}

/** The host list's at-a-glance verdicts: degraded arrays, failing log paths, mongod down or a replica set at risk. */
function verdicts(h: HostSummary): { text: string; level: 'bad' | 'warn' }[] {
  const logPaths = logPathSummary(h.states?.[LOGPATH_KIND]);
  const problems = stateProblems.get(h.id) ?? [];
  return [
    problems.length
      ? {
          text: `bad state from agent: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1})` : ''}`,
          level: 'bad' as const,
        }
      : null,
    raidSummary(h.states?.[RAID_KIND]),
    logPaths ? { text: logPaths, level: 'bad' as const } : null,
    mongodSummary(h.states?.[MONGOD_KIND], h.states?.[REPLSET_KIND]),
  ].filter((v): v is { text: string; level: 'bad' | 'warn' } => v !== null);
}

function renderHostList(): void {
  const list = $('host-list');
  $('no-hosts').hidden = hosts.length > 0;
  list.replaceChildren(
    ...hosts.map((h) => {
      const li = document.createElement('li');
      li.dataset.host = h.id;
      li.dataset.connected = String(h.connected);
      li.setAttribute('aria-current', String(h.id === selected));
      li.title = h.connected ? 'connected' : 'disconnected';
      const dot = document.createElement('span');
      dot.className = 'dot';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = h.hostname === h.id ? h.id : `${h.id} (${h.hostname})`;
      const seen = document.createElement('span');
      seen.className = 'seen';
      seen.textContent = `${h.connected ? 'connected' : 'disconnected'} · ${ago(h.lastSeen)}`;
      li.append(dot, name, seen);
      for (const verdict of verdicts(h)) {
        const alert = document.createElement('span');
        alert.className = 'alert';
        alert.dataset.level = verdict.level;
        alert.textContent = verdict.text;
        li.append(alert);
      }
      li.onclick = () => void selectHost(h.id);
      return li;
    }),
  );
}

/** The selected host's inventory, fetched when it is selected: the host list leaves inventories out (a fleet's would be megabytes). */
let selectedInventory: { id: string; inventory: unknown } | null = null;

/** Fetches a host's inventory for the header (again on each host-list refresh until the agent has sent one). */
function loadInventory(id: string): void {
  void api.host(id).then(
    (full) => {
      if (selected !== id) return;
      selectedInventory = { id, inventory: full.inventory };
      renderHosts();
    },
    () => {}, // the header shows what it has; the live badge tells when the server is gone
  );
}

function renderHostHeader(h: HostSummary): void {
  $('host-title').textContent = h.hostname;
  const inv = (selectedInventory?.id === h.id ? selectedInventory.inventory : null) as {
    os?: { distro?: string; kernel?: string };
  } | null;
  $('host-meta').textContent = [
    h.connected ? 'connected' : 'disconnected',
    ago(h.lastSeen),
    h.agentVersion ? `agent ${h.agentVersion}` : null,
    inv?.os ? `${inv.os.distro ?? ''} kernel ${inv.os.kernel ?? ''}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  $('collector-states').replaceChildren(
    ...h.collectors.map((c) => {
      const li = document.createElement('li');
      li.dataset.state = c.state;
      li.textContent = `${c.name}: ${c.state}`;
      if (c.message) li.title = c.message;
      return li;
    }),
  );
}

function subscribe(): void {
  if (live && live.readyState === WebSocket.OPEN) {
    live.send(
      JSON.stringify({
        type: 'subscribe',
        hosts: selected ? [selected] : [],
        metrics: [...PANELS, ...RAID_PANELS, ...MONGOD_PANELS].map((p) => p.metric),
      }),
    );
  }
}

/** The RAID panel, and its queue-depth charts once the host is known to have arrays. */
function renderRaid(host: HostSummary | undefined): void {
  const arrays = host?.states?.[RAID_KIND];
  raidPanel.render(arrays);
  if (Object.keys(arrays ?? {}).length && !charts.some((c) => RAID_PANELS.includes(c.panel))) {
    for (const panel of RAID_PANELS) addChart($('raid-charts'), panel);
  }
}

/** The mongod panel, and its charts once the host is known to run a mongod. */
function renderMongod(host: HostSummary | undefined): void {
  mongodPanel.render(host?.states?.[MONGOD_KIND], host?.states?.[REPLSET_KIND]);
  if (host?.states?.[MONGOD_KIND]?.status && !charts.some((c) => MONGOD_PANELS.includes(c.panel))) {
    for (const panel of MONGOD_PANELS) addChart($('mongod-charts'), panel);
  }
}

function addChart(grid: HTMLElement, panel: (typeof PANELS)[number]): void {
  const def = catalogue.get(panel.metric);
  if (!def) return;
  const el = document.createElement('div');
  el.className = 'chart';
  el.dataset.metric = panel.metric;
  const canvas = document.createElement('canvas');
  el.append(canvas);
  grid.append(el);
  const chart = new LiveChart(canvas, def, panel.labelKey, WINDOW_MS);
  attachZoomPan(el, chart);
  charts.push({ panel, chart, el });
}

function matches(only: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return !only || Object.entries(only).every(([k, v]) => labels?.[k] === v);
}

async function selectHost(id: string): Promise<void> {
  selected = id;
  location.hash = encodeURIComponent(id);
  for (const c of charts) c.chart.destroy();
  charts = [];
  const grid = $('charts');
  grid.replaceChildren();
  $('raid-charts').replaceChildren();
  $('mongod-charts').replaceChildren();
  $('pick-host').hidden = true;
  $('host-header').hidden = false;
  raidPanel.clear();
  logPathsPanel.clear();
  renderHosts();
  for (const panel of PANELS) addChart(grid, panel);
  const host = hosts.find((h) => h.id === id);
  loadInventory(id);
  renderRaid(host);
  renderMongod(host);
  logPathsPanel.render(host?.states?.[LOGPATH_KIND]);
  subscribe();
  if (range) return void showRange(range.from, range.to);
  // Backfill the window from history, then live samples continue it.
  const from = Date.now() - WINDOW_MS;
  await Promise.all(
    charts.map(async ({ panel, chart }) => {
      const { series } = await api.series(id, panel.metric, from);
      for (const s of series) {
        if (!matches(panel.only, s.labels)) continue;
        for (const [ts, v] of s.points) chart.add(ts, s.labels, v);
      }
    }),
  );
  renderCharts(Date.now());
}

function renderCharts(now: number): void {
  if (range) return;
  for (const c of charts) {
    if (!paused) c.chart.render(now);
    c.el.dataset.points = String(c.chart.pointCount());
  }
}

/** Shows a fixed range from history on every chart (the server picks raw points or rollups, at most ~2000). */
async function showRange(from: number, to: number): Promise<void> {
  range = { from: Math.round(from), to: Math.round(to) };
  const host = selected;
  if (!host) return;
  let resolution: number | null = null;
  await Promise.all(
    charts.map(async (c) => {
      const r = await api.series(host, c.panel.metric, range!.from, range!.to);
      resolution = r.resolutionMs;
      c.chart.showRange(range!.from, range!.to, r.series, c.panel.only);
      c.el.dataset.points = String(c.chart.pointCount());
    }),
  );
  const fmt = (t: number) => new Date(t).toLocaleString();
  $('range-label').textContent =
    `${fmt(range.from)} – ${fmt(range.to)}${resolution ? ` · ${resolution >= 60_000 ? `${resolution / 60_000} min` : `${resolution / 1000} s`} points` : ''}`;
  setLiveState('history');
}

function goLive(): void {
  range = null;
  $('range-label').textContent = '';
  for (const c of charts) c.chart.clear();
  if (selected) void selectHost(selected);
  setLiveState(paused ? 'paused' : 'live');
}

/** Wheel zooms around the cursor, dragging pans; both switch a live view to history. */
function attachZoomPan(el: HTMLElement, chart: LiveChart): void {
  const span = () => (range ? range.to - range.from : WINDOW_MS);
  const current = () => range ?? { from: Date.now() - WINDOW_MS, to: Date.now() };
  el.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const r = current();
      const area = chart.chart.chartArea;
      const frac = Math.min(1, Math.max(0, (ev.offsetX - area.left) / (area.right - area.left)));
      const factor = ev.deltaY > 0 ? 1.25 : 0.8;
      const newSpan = Math.max(60_000, span() * factor);
      const pivot = r.from + frac * (r.to - r.from);
      void showRange(pivot - frac * newSpan, pivot + (1 - frac) * newSpan);
    },
    { passive: false },
  );
  let dragX: number | null = null;
  el.addEventListener('mousedown', (ev) => (dragX = ev.clientX));
  window.addEventListener('mouseup', (ev) => {
    if (dragX === null) return;
    const dx = ev.clientX - dragX;
    dragX = null;
    if (Math.abs(dx) < 5) return;
    const r = current();
    const area = chart.chart.chartArea;
    const shift = (-dx / (area.right - area.left)) * (r.to - r.from);
    void showRange(r.from + shift, r.to + shift);
  });
}

function onLive(msg: ServerToDashboard): void {
  if (msg.type === 'hosts') {
    // A partial push carries only the hosts that changed.
    if (msg.partial) {
      const known = new Map(hosts.map((h) => [h.id, h]));
      for (const h of checkedHosts(msg.hosts)) known.set(h.id, h);
      hosts = [...known.values()].sort((a, b) => a.id.localeCompare(b.id));
    } else hosts = checkedHosts(msg.hosts);
    renderHosts();
    if (!selected && hosts.length) void selectHost(hosts.find((h) => h.connected)?.id ?? hosts[0]!.id);
    return;
  }
  if (msg.type === 'samples' && msg.host === selected) {
    // A historical range on screen stays as fetched; live samples wait for "live" again.
    if (!range)
      for (const c of charts) {
        for (const s of msg.samples) {
          if (s.m === c.panel.metric && matches(c.panel.only, s.l)) c.chart.add(msg.ts, s.l, s.v);
        }
      }
    const host = hosts.find((h) => h.id === msg.host);
    if (host) {
      host.lastSeen = Date.now();
      const before = JSON.stringify(verdicts(host));
      const problems = mergeStates(host.states, msg.stateKinds, msg.states);
      if (msg.stateKinds?.length || problems.length) stateProblems.set(host.id, problems);
      if (msg.stateKinds?.includes(RAID_KIND)) renderRaid(host);
      if (msg.stateKinds?.includes(LOGPATH_KIND)) logPathsPanel.render(host.states[LOGPATH_KIND]);
      if (msg.stateKinds?.includes(MONGOD_KIND)) renderMongod(host);
      // The host list follows the states, but is rebuilt only when a verdict changed, not every second.
      if (msg.stateKinds?.length && JSON.stringify(verdicts(host)) !== before) renderHostList();
    }
    renderCharts(msg.ts);
  }
}

function setLiveState(state: string): void {
  const badge = $('live-state');
  badge.dataset.state = state;
  badge.textContent = state;
}

async function refreshHosts(): Promise<void> {
  try {
    hosts = checkedHosts(await api.hosts());
  } catch {
    return; // the live socket's state badge already says when the server is gone
  }
  renderHosts();
  if (selected && (selectedInventory?.id !== selected || !selectedInventory.inventory)) loadInventory(selected);
}

async function boot(): Promise<void> {
  raidPanel = new RaidPanel($('raid'));
  logPathsPanel = new LogPathsPanel($('logpaths'));
  mongodPanel = new MongodPanel($('mongod'));
  try {
    const [cat, list] = await Promise.all([api.catalogue(), api.hosts()]);
    catalogue = new Map(cat.map((m) => [m.name, m]));
    hosts = checkedHosts(list);
  } catch (err) {
    if (err instanceof Unauthorized) {
      const dialog = $<HTMLDialogElement>('login');
      $('login-form').onsubmit = () => {
        setToken($<HTMLInputElement>('login-token').value);
        location.reload();
      };
      dialog.showModal();
      return;
    }
    setLiveState('offline');
    throw err;
  }
  renderHosts();
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = hosts.find((h) => h.id === wanted) ?? hosts.find((h) => h.connected) ?? hosts[0];
  if (first) await selectHost(first.id);
  connectLive(
    onLive,
    (s) => setLiveState(paused ? 'paused' : s),
    (ws) => {
      live = ws;
      subscribe();
    },
  );
  const rangeSelect = $<HTMLSelectElement>('range');
  rangeSelect.onchange = () => {
    const v = rangeSelect.value;
    $('custom-range').hidden = v !== 'custom';
    if (v === 'live') goLive();
    else if (v !== 'custom') void showRange(Date.now() - Number(v), Date.now());
  };
  $('range-apply').onclick = () => {
    const from = Date.parse($<HTMLInputElement>('range-from').value);
    const to = Date.parse($<HTMLInputElement>('range-to').value);
    if (from < to) void showRange(from, to);
  };
  $('pause').onclick = () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    $('pause').setAttribute('aria-pressed', String(paused));
    setLiveState(paused ? 'paused' : 'live');
    if (!paused) renderCharts(Date.now());
  };
  // Keep the host list (last seen, RAID verdicts of other hosts) fresh.
  setInterval(() => void refreshHosts(), 5000);
  const alerts = new AlertsPanel($('alerts'), authedFetch);
  void alerts.refresh();
  setInterval(() => void alerts.refresh(), 2000);
}

void boot();
