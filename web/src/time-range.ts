/** The range control of the host view: presets, a custom range, and "Back to live", always in step with the URL. */
import { rangeText } from './time-format.js';

type Range = { from: number; to: number };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** `datetime-local` wants local time without a zone. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export class TimeRange {
  private readonly select = $<HTMLSelectElement>('range');
  private readonly custom = $('custom-range');
  private readonly back = $<HTMLButtonElement>('back-to-live');

  /** `onChange(null)` asks for live. */
  constructor(private readonly onChange: (r: Range | null) => void) {
    this.select.onchange = () => {
      const v = this.select.value;
      this.custom.hidden = v !== 'custom';
      if (v === 'live') this.onChange(null);
      else if (v !== 'custom') this.onChange({ from: Date.now() - Number(v), to: Date.now() });
    };
    $('range-apply').onclick = () => {
      const from = Date.parse($<HTMLInputElement>('range-from').value);
      const to = Date.parse($<HTMLInputElement>('range-to').value);
      if (from < to) this.onChange({ from, to });
    };
    this.back.onclick = () => this.onChange(null);
  }

  /** Shows what is on screen: live, or a fixed range (the select says "custom" with its bounds filled in). */
  show(range: Range | null, resolutionMs: number | null = null): void {
    this.back.hidden = range === null;
    if (!range) {
      this.select.value = 'live';
      this.custom.hidden = true;
      $('range-label').textContent = '';
      return;
    }
    const preset = [...this.select.options].find((o) => Number(o.value) === range.to - range.from);
    const isNow = Math.abs(Date.now() - range.to) < 5_000;
    this.select.value = preset && isNow ? preset.value : 'custom';
    this.custom.hidden = this.select.value !== 'custom';
    $<HTMLInputElement>('range-from').value = localInput(range.from);
    $<HTMLInputElement>('range-to').value = localInput(range.to);
    const step = resolutionMs
      ? ` · ${resolutionMs >= 60_000 ? `${resolutionMs / 60_000} min` : `${resolutionMs / 1000} s`} points`
      : '';
    $('range-label').textContent = `${rangeText(range.from, range.to)}${step}`;
  }
}
