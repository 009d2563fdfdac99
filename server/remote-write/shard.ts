import type { Logger } from '../../shared/log.js';
import { writeRequestBody, type SeriesSamples } from './encode.js';
import type { RemotePoster } from './http.js';
import { errorMessage } from '../../shared/errors.js';

export interface ShardSettings {
  maxSamplesPerSend: number;
  batchDeadlineMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export interface SendCounters {
  sent: number;
  failed: number;
  retries: number;
  lastError: string | null;
}

/** What a response means, as Prometheus decides it: 2xx done, 5xx and 429 try again, anything else is given up. */
function outcome(status: number): 'sent' | 'retry' | 'rejected' {
  if (status >= 200 && status < 300) return 'sent';
  if (status >= 500 || status === 429) return 'retry';
  return 'rejected';
}

/**
 * One of a target's parallel senders. It sends its samples in the order they
 * were queued, one request at a time, and retries a request until the remote
 * takes it (or rejects it for good), so a series' samples arrive in order.
 * `ackedThrough`: every sample of this shard numbered up to it is done with.
 */
export class Shard {
  ackedThrough: number;
  private labels: Buffer[] = [];
  private ts: number[] = [];
  private values: number[] = [];
  private numbers: number[] = [];
  private writeMs: number[] = [];
  private inFlight = 0;
  private inFlightWriteMs = 0;
  private pendingSince = 0;
  private stopped = false;
  /** The last attempt failed and the batch waits for a retry. */
  failing = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly poster: RemotePoster,
    private readonly settings: ShardSettings,
    private readonly counters: SendCounters,
    private readonly log: Logger,
    private readonly onDone: () => void,
    ackedThrough: number,
  ) {
    this.ackedThrough = ackedThrough;
  }

  push(labels: Buffer, ts: number, value: number, sampleNumber: number, writeMs: number): void {
    if (this.labels.length === 0) this.pendingSince = Date.now();
    this.labels.push(labels);
    this.ts.push(ts);
    this.values.push(value);
    this.numbers.push(sampleNumber);
    this.writeMs.push(writeMs);
  }

  /** Samples waiting or being sent. */
  get queued(): number {
    return this.labels.length + this.inFlight;
  }

  get idle(): boolean {
    return this.queued === 0;
  }

  /** Write time of the oldest sample not yet sent, or null. */
  get oldestWriteMs(): number | null {
    if (this.inFlight) return this.inFlightWriteMs;
    return this.writeMs.length ? this.writeMs[0]! : null;
  }

  /** Starts a request when a batch is full or its deadline has passed. */
  tick(now = Date.now(), force = false): void {
    if (this.inFlight || this.stopped || this.labels.length === 0) return;
    const full = this.labels.length >= this.settings.maxSamplesPerSend;
    if (force || full || now - this.pendingSince >= this.settings.batchDeadlineMs) void this.sendBatch();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async sendBatch(): Promise<void> {
    const k = Math.min(this.labels.length, this.settings.maxSamplesPerSend);
    const labels = this.labels.splice(0, k);
    const ts = this.ts.splice(0, k);
    const values = this.values.splice(0, k);
    const last = this.numbers.splice(0, k)[k - 1]!;
    this.inFlightWriteMs = this.writeMs.splice(0, k)[0]!;
    this.inFlight = k;
    if (this.labels.length) this.pendingSince = Date.now();
    const bySeries = new Map<Buffer, SeriesSamples>();
    for (let i = 0; i < k; i++) {
      let s = bySeries.get(labels[i]!);
      if (!s) bySeries.set(labels[i]!, (s = { labels: labels[i]!, timestamps: [], values: [] }));
      s.timestamps.push(ts[i]!);
      s.values.push(values[i]!);
    }
    const done = await this.deliver(writeRequestBody([...bySeries.values()]), k);
    this.inFlight = 0;
    if (done) this.ackedThrough = last;
    this.onDone();
  }

  /** Sends until the remote takes or refuses the batch; false if stopped first (the batch then stays unacknowledged). */
  private async deliver(body: Buffer, k: number): Promise<boolean> {
    let backoff = this.settings.minBackoffMs;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return false;
      let wait = backoff;
      try {
        const res = await this.poster.post(body);
        const o = outcome(res.status);
        this.failing = o === 'retry';
        if (o === 'sent') {
          this.counters.sent += k;
          if (attempt > 1) this.log.info('remote write recovered', { attempts: attempt });
          return true;
        }
        if (o === 'rejected') {
          this.counters.failed += k;
          this.counters.lastError = `HTTP ${res.status}: ${res.body}`;
          this.log.error('remote refused a batch; it is not retried', {
            status: res.status,
            samples: k,
            body: res.body,
          });
          return true;
        }
        this.counters.lastError = `HTTP ${res.status}: ${res.body}`;
        // The remote said how long to wait; honoured up to 5 minutes.
        if (res.retryAfterMs !== null) wait = Math.min(res.retryAfterMs, 300_000);
      } catch (err) {
        this.failing = true;
        this.counters.lastError = errorMessage(err);
      }
      if (this.stopped) return false;
      this.counters.retries++;
      if (attempt === 1) this.log.warn('remote write failed; retrying', { error: this.counters.lastError });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
      backoff = Math.min(backoff * 2, this.settings.maxBackoffMs);
    }
  }
}
