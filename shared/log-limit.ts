import type { Logger } from './log.js';

/**
 * Log lines that a peer can cause (a bad frame per message) are rate limited:
 * per key, at most `perWindow` lines every `windowMs`; the rest are counted,
 * and the next line let through says how many were held back. A flood of
 * 400 000 bad frames costs a few lines a minute, not 77 MB of log.
 */
export class LimitedLog {
  /** Lines held back since start, for /metrics. */
  suppressed = 0;
  private readonly windows = new Map<string, { start: number; lines: number; held: number }>();

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, msg: string, fields: Record<string, unknown> = {}): void {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      const held = w?.held ?? 0;
      w = { start: now, lines: 0, held: 0 };
      this.windows.set(key, w);
      if (held) fields = { ...fields, heldBack: held };
    }
    if (w.lines >= this.perWindow) {
      w.held++;
      this.suppressed++;
      return;
    }
    w.lines++;
    this.log.warn(
      msg,
      w.lines === this.perWindow ? { ...fields, note: 'further lines like this are held back for a while' } : fields,
    );
  }
}
