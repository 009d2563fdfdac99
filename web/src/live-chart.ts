import {
  Chart,
  Filler,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Title,
  Tooltip,
  type ChartDataset,
  type LegendItem,
} from 'chart.js';
import { axisTick, clock } from './time-format.js';
import type { PanelSpec, SeriesSpec } from './panels.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip, Filler);

/** Eight colours that stay apart from each other on dark and light backgrounds (Tableau 10 without its grey and brown). */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
const OTHERS = '#8a96a3';
/** Lines named in the legend; the rest are drawn grey and summed up as "others". */
export const LEGEND_TOP = PALETTE.length;

type Point = { x: number; y: number | null };
type Line = ChartDataset<'line', Point[]> & { label: string };
export type SeriesResult = { labels: Record<string, string>; points: [number, number | null][] };

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function matches(only: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return !only || Object.entries(only).every(([k, v]) => labels?.[k] === v);
}

function lineName(s: SeriesSpec, labels: Record<string, string> | undefined): string {
  const label = s.labelKey ? (labels?.[s.labelKey] ?? '?') : null;
  if (s.name && label) return `${label} ${s.name}`;
  return s.name ?? label ?? s.metric;
}

/**
 * A Chart.js chart for one panel: one line per series and label value, or a
 * stack, or one metric as a share of another (connections of the limit).
 * Points older than the window are shifted out as new ones arrive, so memory
 * stays flat over hours; updates redraw in place without animation. Only the
 * top lines (by peak in view) get colours and legend entries.
 */
export class LiveChart {
  readonly chart: Chart<'line', Point[]>;
  private readonly lines = new Map<string, Line>();
  private readonly colours = new Map<string, string>();
  /** Ratio panels: samples of one timestamp until both halves are in. */
  private readonly pending = new Map<number, { used?: number | null; free?: number | null }>();
  /** Ratio panels: the latest absolute figures, for the title. */
  private latestRatio: { used: number; limit: number } | null = null;

  constructor(
    canvas: HTMLCanvasElement,
    readonly spec: PanelSpec,
    private readonly windowMs: number,
    private readonly highlight: string[] = [],
  ) {
    const text = cssVar('--fg', '#d8dee6');
    const muted = cssVar('--muted', '#8a96a3');
    const grid = cssVar('--grid', '#26313d');
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: false,
        elements: { point: { radius: 0 }, line: { borderWidth: 1.5 } },
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            ticks: {
              // `this` is the scale: the span decides between times and dates.
              callback(v) {
                return axisTick(Number(v), this.max - this.min);
              },
              maxTicksLimit: 6,
              color: muted,
            },
            grid: { color: grid },
          },
          y: {
            beginAtZero: true,
            stacked: spec.stacked ?? false,
            ...(spec.maxY ? { suggestedMax: spec.maxY } : {}),
            title: { display: true, text: spec.unit, color: muted },
            ticks: { color: muted },
            grid: { color: grid },
          },
        },
        plugins: {
          title: { display: true, text: this.title(), color: text },
          legend: {
            labels: { color: text, boxWidth: 12, generateLabels: (c) => this.legendItems(c) },
            onClick: (_e, item) => this.toggle(item),
          },
          tooltip: {
            callbacks: {
              title: (items) => (items[0] ? clock(items[0].parsed.x ?? 0) : ''),
              label: (item) =>
                `${item.dataset.label}: ${item.parsed.y === null ? '–' : Number(item.parsed.y).toFixed(2)} ${spec.unit}`,
            },
          },
        },
      },
    });
  }

  private title(): string {
    const r = this.latestRatio;
    const base = `${this.spec.title} (${this.spec.unit})`;
    return r ? `${base}: ${r.used} used of ${r.limit}` : base;
  }

  /** The metrics this chart draws, for the subscription and the history fetches. */
  metrics(): string[] {
    const specs = this.spec.ratio ? [this.spec.ratio.used, this.spec.ratio.free] : this.spec.series;
    return [...new Set(specs.map((s) => s.metric))];
  }

  private line(name: string): Line {
    let ds = this.lines.get(name);
    if (!ds) {
      const hl = this.highlight.some((h) => name.split(' ').includes(h));
      ds = { label: name, data: [], borderColor: OTHERS, backgroundColor: OTHERS, borderWidth: hl ? 3.5 : 1.5 };
      if (this.spec.stacked) ds.fill = this.lines.size === 0 ? 'origin' : '-1';
      this.lines.set(name, ds);
      const order = this.spec.series.map((s) => s.name);
      this.chart.data.datasets.push(ds);
      this.chart.data.datasets.sort((a, b) =>
        this.spec.stacked
          ? order.indexOf(String(a.label)) - order.indexOf(String(b.label))
          : String(a.label).localeCompare(String(b.label)),
      );
    }
    return ds;
  }

  private push(name: string, ts: number, value: number | null): void {
    const data = this.line(name).data;
    const last = data[data.length - 1];
    if (last && ts <= last.x) return;
    data.push({ x: ts, y: value });
  }

  /** One live sample; samples of series this chart does not draw are ignored. */
  add(metric: string, labels: Record<string, string> | undefined, ts: number, value: number | null): void {
    const ratio = this.spec.ratio;
    if (ratio) return this.addRatio(metric, labels, ts, value);
    for (const s of this.spec.series) {
      if (s.metric !== metric || !matches(s.only, labels)) continue;
      this.push(lineName(s, labels), ts, value === null ? null : value * (s.scale ?? 1));
    }
  }

  private addRatio(metric: string, labels: Record<string, string> | undefined, ts: number, value: number | null): void {
    const { used, free } = this.spec.ratio!;
    const half =
      used.metric === metric && matches(used.only, labels)
        ? 'used'
        : free.metric === metric && matches(free.only, labels)
          ? 'free'
          : null;
    if (!half) return;
    const p = this.pending.get(ts) ?? {};
    p[half] = value;
    if (p.used === undefined || p.free === undefined) {
      this.pending.set(ts, p);
      if (this.pending.size > 8) this.pending.delete(this.pending.keys().next().value!);
      return;
    }
    this.pending.delete(ts);
    const limit = p.used === null || p.free === null ? null : p.used + p.free;
    if (limit) this.latestRatio = { used: p.used!, limit };
    this.push(used.name ?? 'used', ts, limit ? (100 * p.used!) / limit : null);
  }

  /** Replaces every line with history for a fixed range (not live) and draws it. */
  showRange(from: number, to: number, byMetric: Map<string, SeriesResult[]>): void {
    this.clear();
    const feed = (metric: string) => {
      for (const s of byMetric.get(metric) ?? []) for (const [ts, v] of s.points) this.add(metric, s.labels, ts, v);
    };
    if (this.spec.ratio) {
      // Interleave the two halves by time so each timestamp pairs up.
      const all: [number, string, Record<string, string>, number | null][] = [];
      for (const metric of this.metrics())
        for (const s of byMetric.get(metric) ?? []) for (const [ts, v] of s.points) all.push([ts, metric, s.labels, v]);
      all.sort((a, b) => a[0] - b[0]);
      for (const [ts, metric, labels, v] of all) this.add(metric, labels, ts, v);
    } else for (const metric of this.metrics()) feed(metric);
    this.draw(from, to);
  }

  clear(): void {
    for (const ds of this.lines.values()) ds.data = [];
    this.pending.clear();
  }

  /** Drops points outside the window, moves the axis and redraws once. */
  render(now: number): void {
    const min = now - this.windowMs;
    for (const ds of this.lines.values()) {
      let drop = 0;
      while (drop < ds.data.length && ds.data[drop]!.x < min) drop++;
      if (drop) ds.data.splice(0, drop);
    }
    this.draw(min, now);
  }

  /** The time axis as drawn: [from, to] in epoch ms. */
  axis(): [number, number] {
    const x = this.chart.options.scales!.x!;
    return [Number(x.min), Number(x.max)];
  }

  private draw(from: number, to: number): void {
    this.recolour();
    const x = this.chart.options.scales!.x!;
    x.min = from;
    x.max = to;
    this.chart.options.plugins!.title!.text = this.title();
    this.chart.update('none');
  }

  /** The lines with the highest peaks in view keep (or get) a colour of their own; the rest turn grey. */
  private recolour(): void {
    const peak = (ds: Line) => ds.data.reduce((m, p) => (p.y !== null && p.y > m ? p.y : m), -Infinity);
    const ranked = [...this.lines.values()].sort((a, b) => peak(b) - peak(a) || a.label.localeCompare(b.label));
    const top = new Set(ranked.slice(0, LEGEND_TOP).map((d) => d.label));
    for (const name of [...this.colours.keys()]) if (!top.has(name)) this.colours.delete(name);
    const used = new Set(this.colours.values());
    const free = PALETTE.filter((c) => !used.has(c));
    for (const ds of ranked) {
      let colour = this.colours.get(ds.label);
      if (!colour && top.has(ds.label)) this.colours.set(ds.label, (colour = free.shift()!));
      ds.borderColor = colour ?? OTHERS;
      ds.backgroundColor = this.spec.stacked ? `${colour ?? OTHERS}99` : (colour ?? OTHERS);
    }
  }

  private legendItems(c: Chart): LegendItem[] {
    const items: LegendItem[] = [];
    let others = 0;
    let othersHidden = true;
    c.data.datasets.forEach((ds, i) => {
      const colour = this.colours.get(String(ds.label));
      if (!colour) {
        others++;
        othersHidden &&= !c.isDatasetVisible(i);
        return;
      }
      const text = cssVar('--fg', '#d8dee6');
      items.push({
        text: String(ds.label),
        fillStyle: colour,
        strokeStyle: colour,
        fontColor: text,
        hidden: !c.isDatasetVisible(i),
        datasetIndex: i,
        lineWidth: 1,
      });
    });
    if (others)
      items.push({
        text: `others (${others})`,
        fillStyle: OTHERS,
        strokeStyle: OTHERS,
        fontColor: cssVar('--fg', '#d8dee6'),
        hidden: othersHidden,
        lineWidth: 1,
      });
    return items;
  }

  private toggle(item: LegendItem): void {
    const c = this.chart;
    if (item.datasetIndex !== undefined)
      c.setDatasetVisibility(item.datasetIndex, !c.isDatasetVisible(item.datasetIndex));
    else
      c.data.datasets.forEach((ds, i) => {
        if (!this.colours.has(String(ds.label))) c.setDatasetVisibility(i, !!item.hidden);
      });
    c.update('none');
  }

  pointCount(): number {
    let n = 0;
    for (const ds of this.lines.values()) n += ds.data.length;
    return n;
  }

  /** Lines drawn bold because the view was opened for them (an alert's labels). */
  highlighted(): string[] {
    return this.lineNames().filter((name) => this.highlight.some((h) => name.split(' ').includes(h)));
  }

  /** Names of the lines drawn (legend and others), for tests and the accessible description. */
  lineNames(): string[] {
    return [...this.lines.keys()];
  }

  destroy(): void {
    this.chart.destroy();
  }
}
