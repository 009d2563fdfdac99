import {
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Title,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type { MetricDef } from '../../shared/catalogue.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip);

const PALETTE = [
  '#58a6ff',
  '#3fb950',
  '#d29922',
  '#f85149',
  '#bc8cff',
  '#39c5cf',
  '#ff7b72',
  '#e3b341',
  '#a5d6ff',
  '#7ee787',
];

function unitLabel(unit: string): string {
  return unit === 'percent' ? '%' : unit;
}

function clock(ms: number): string {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false });
}

type Point = { x: number; y: number | null };

/**
 * A Chart.js line chart for one metric, one line per label set (device, cpu).
 * Points older than the window are shifted out as new ones arrive, so memory
 * stays flat over hours; updates redraw in place without animation.
 */
export class LiveChart {
  readonly chart: Chart<'line', Point[]>;
  private readonly lines = new Map<string, ChartDataset<'line', Point[]>>();

  constructor(
    canvas: HTMLCanvasElement,
    readonly def: MetricDef,
    private readonly labelKey: string | null,
    private readonly windowMs: number,
  ) {
    const unit = unitLabel(def.unit);
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
            ticks: { callback: (v) => clock(Number(v)), maxTicksLimit: 6, color: '#8a96a3' },
            grid: { color: '#26313d' },
          },
          y: {
            beginAtZero: true,
            title: { display: true, text: unit, color: '#8a96a3' },
            ticks: { color: '#8a96a3' },
            grid: { color: '#26313d' },
          },
        },
        plugins: {
          title: { display: true, text: `${def.title} (${unit})`, color: '#d8dee6' },
          legend: { labels: { color: '#d8dee6', boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: (items) => (items[0] ? clock(items[0].parsed.x ?? 0) : ''),
              label: (item) =>
                `${item.dataset.label}: ${item.parsed.y === null ? '–' : Number(item.parsed.y).toFixed(2)} ${unit}`,
            },
          },
        },
      },
    });
  }

  private line(labels: Record<string, string> | undefined): ChartDataset<'line', Point[]> {
    const name = this.labelKey ? (labels?.[this.labelKey] ?? '?') : this.def.name;
    let ds = this.lines.get(name);
    if (!ds) {
      const color = PALETTE[this.lines.size % PALETTE.length]!;
      ds = { label: name, data: [], borderColor: color, backgroundColor: color };
      this.lines.set(name, ds);
      this.chart.data.datasets.push(ds);
      this.chart.data.datasets.sort((a, b) => String(a.label).localeCompare(String(b.label)));
    }
    return ds;
  }

  add(ts: number, labels: Record<string, string> | undefined, value: number | null): void {
    const data = this.line(labels).data;
    const last = data[data.length - 1];
    if (last && ts <= last.x) return;
    data.push({ x: ts, y: value });
  }

  /** Replaces every line with history for a fixed range (not live) and draws it. */
  showRange(
    from: number,
    to: number,
    series: { labels: Record<string, string>; points: [number, number | null][] }[],
    only?: Record<string, string>,
  ): void {
    for (const ds of this.lines.values()) ds.data = [];
    for (const s of series) {
      if (only && !Object.entries(only).every(([k, v]) => s.labels[k] === v)) continue;
      const ds = this.line(s.labels);
      ds.data = s.points.map(([x, y]) => ({ x, y }));
    }
    const x = this.chart.options.scales!.x!;
    x.min = from;
    x.max = to;
    this.chart.update('none');
  }

  clear(): void {
    for (const ds of this.lines.values()) ds.data = [];
  }

  /** Drops points outside the window, moves the axis and redraws once. */
  render(now: number): void {
    const min = now - this.windowMs;
    for (const ds of this.lines.values()) {
      let drop = 0;
      while (drop < ds.data.length && ds.data[drop]!.x < min) drop++;
      if (drop) ds.data.splice(0, drop);
    }
    const x = this.chart.options.scales!.x!;
    x.min = min;
    x.max = now;
    this.chart.update('none');
  }

  pointCount(): number {
    let n = 0;
    for (const ds of this.lines.values()) n += ds.data.length;
    return n;
  }

  destroy(): void {
    this.chart.destroy();
  }
}
