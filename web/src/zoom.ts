/**
 * Zoom and pan on a chart without hijacking the page: the wheel zooms only
 * with Ctrl (or ⌘) held, or after a click into the chart (until the pointer
 * leaves it); otherwise it scrolls the page as everywhere else. Dragging pans.
 * Both ask for a fixed range; the live view stays live until then.
 */
import type { LiveChart } from './live-chart.js';

type Range = { from: number; to: number };

export const MIN_SPAN_MS = 60_000;

export function attachZoomPan(
  box: HTMLElement,
  chart: LiveChart,
  current: () => Range,
  show: (r: Range) => void,
): void {
  const area = () => chart.chart.chartArea;
  box.addEventListener(
    'wheel',
    (ev) => {
      if (!(ev.ctrlKey || ev.metaKey || box.dataset.armed === 'true')) return;
      ev.preventDefault();
      const r = current();
      const a = area();
      const frac = Math.min(1, Math.max(0, (ev.offsetX - a.left) / (a.right - a.left)));
      const span = Math.max(MIN_SPAN_MS, (r.to - r.from) * (ev.deltaY > 0 ? 1.25 : 0.8));
      const pivot = r.from + frac * (r.to - r.from);
      show({ from: pivot - frac * span, to: pivot + (1 - frac) * span });
    },
    { passive: false },
  );
  box.addEventListener('mouseleave', () => delete box.dataset.armed);
  box.addEventListener('blur', () => delete box.dataset.armed);
  let dragX: number | null = null;
  box.addEventListener('mousedown', (ev) => (dragX = ev.clientX));
  box.addEventListener('mouseup', (ev) => {
    if (dragX === null) return;
    const dx = ev.clientX - dragX;
    dragX = null;
    if (Math.abs(dx) < 5) {
      box.dataset.armed = 'true'; // a click: the wheel zooms this chart now
      return;
    }
    const r = current();
    const a = area();
    const shift = (-dx / (a.right - a.left)) * (r.to - r.from);
    show({ from: r.from + shift, to: r.to + shift });
  });
}
