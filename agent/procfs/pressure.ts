import { ParseError } from './read.js';

export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time in microseconds since boot. */
  totalUs: number;
}

/** /proc/pressure/io (Documentation/accounting/psi.rst): `some` always, `full` from 5.13 for io (earlier for memory). */
export interface Pressure {
  some: PressureLine;
  full: PressureLine | null;
}

const LINE = /^(some|full)\s+avg10=(\d+(?:\.\d+)?)\s+avg60=(\d+(?:\.\d+)?)\s+avg300=(\d+(?:\.\d+)?)\s+total=(\d+)\s*$/;

export function parsePressure(text: string, source = '/proc/pressure/io'): Pressure {
  const lines: Partial<Record<'some' | 'full', PressureLine>> = {};
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const m = LINE.exec(raw.trim());
    if (!m)
      throw new ParseError(
        source,
        `line ${i + 1}: expected "some|full avg10=… avg60=… avg300=… total=…", got "${raw.trim().slice(0, 80)}"`,
      );
    lines[m[1] as 'some' | 'full'] = {
      avg10: Number(m[2]),
      avg60: Number(m[3]),
      avg300: Number(m[4]),
      totalUs: Number(m[5]),
    };
  });
  if (!lines.some) throw new ParseError(source, 'no "some" line');
  return { some: lines.some, full: lines.full ?? null };
}
