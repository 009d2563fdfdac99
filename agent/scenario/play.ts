/**
 * Plays a scenario against a real server: one simulated agent per host on
 * the real transport (hello, auth, buffer, acks), a batch per step of the
 * compressed clock (agent/scenario/clock.ts), while /api/alerts is read every
 * 100 ms to see what paged and when. Returns the timeline.
 */
import { TIDEMARK_VERSION } from '../../shared/version.js';
import { silentLogger, type Logger } from '../../shared/log.js';
import { simulatedTransport } from '../simulated-transport.js';
import { playClock, type PlayClock } from './clock.js';
import { STATE_KINDS } from '../../shared/states.js';
import { hostSamples, hostStates } from './host-frames.js';
import * as gitter from './gitter-2016.js';
import { buildTimeline, type SeenPage, type Timeline } from './timeline.js';

export const SCENARIOS = ['gitter-2016'] as const;

export interface PlayOptions {
  serverUrl: string;
  token: string;
  /** Bearer credential for /api/alerts when the server asks for one (--read-token). */
  readToken?: string | null;
  /** Scenario seconds per real second in the played stretches. */
  speed: number;
  log?: Logger;
  /** Called with each batch's scenario time, for progress. */
  onTick?: (at: number) => void;
}

const POLL_MS = 100;
const CONNECT_TIMEOUT_MS = 15_000;
const DRAIN_TIMEOUT_MS = 15_000;

/** The server's HTTP base for its agent URL: ws → http, wss → https. */
export function httpBase(serverUrl: string): string {
  return serverUrl.replace(/^ws/, 'http').replace(/\/+$/, '');
}

interface ListedAlert {
  rule: string;
  host: string;
  state: string;
  firedAt: number | null;
  summary: string;
  facts: string[];
  silencedBy: string | null;
  inhibitedBy: string | null;
}

/** Reads /api/alerts until stopped; keeps the first sighting of each firing, notified alert. */
class AlertWatcher {
  private readonly seen = new Map<string, SeenPage>();
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly url: string,
    private readonly token: string | null,
    private readonly clock: PlayClock,
  ) {}

  async poll(): Promise<void> {
    const res = await fetch(this.url, { headers: this.token ? { Authorization: `Bearer ${this.token}` } : {} });
    if (res.status === 401 || res.status === 403)
      throw new Error(`${this.url}: HTTP ${res.status}: pass --read-token with a read or admin credential`);
    if (!res.ok) throw new Error(`${this.url}: HTTP ${res.status}`);
    const body = (await res.json()) as { alerts: (ListedAlert & { id: string })[] };
    for (const a of body.alerts) {
      if (a.state !== 'firing' || a.firedAt === null || a.silencedBy || a.inhibitedBy) continue;
      const key = `${a.id} ${a.firedAt}`;
      const at = this.clock.toScenario(a.firedAt);
      if (this.seen.has(key) || at === null) continue;
      this.seen.set(key, { rule: a.rule, host: a.host, firedAt: at, summary: a.summary, facts: a.facts });
    }
  }

  start(): void {
    const loop = async () => {
      try {
        await this.poll();
      } catch (err) {
        this.failure = err as Error;
        return;
      }
      if (this.timer) this.timer = setTimeout(() => void loop(), POLL_MS); // not after halt()
    };
    this.timer = setTimeout(() => void loop(), POLL_MS);
  }

  halt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** What paged; a reading that failed while the scenario played is thrown here. */
  pages(): SeenPage[] {
    if (this.failure) throw this.failure;
    return [...this.seen.values()];
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Plays gitter-2016 and returns its timeline. */
export async function playGitter2016(opts: PlayOptions): Promise<Timeline> {
  const log = opts.log ?? silentLogger;
  const clock = playClock(gitter.SEGMENTS, Date.now(), opts.speed);
  const transports = gitter.HOSTS.map(
    (id) =>
      [
        id,
        simulatedTransport({
          id,
          serverUrl: opts.serverUrl,
          token: opts.token,
          version: `${TIDEMARK_VERSION}-scenario`,
          log,
          bufferCapacity: 3600,
        }),
      ] as const,
  );
  const watcher = new AlertWatcher(`${httpBase(opts.serverUrl)}/api/alerts`, opts.readToken ?? null, clock);
  try {
    for (const [, t] of transports) t.start();
    await waitFor(() => transports.every(([, t]) => t.connected), CONNECT_TIMEOUT_MS, 'the agents to connect');
    await watcher.poll(); // a refused credential fails here, before the week is played
    watcher.start();
    let seq = 0;
    for (const tick of clock.ticks) {
      seq++;
      for (const [host, t] of transports) {
        const s = gitter.situation(host, tick.at);
        const samples = hostSamples(s);
        const frame = t.encoder.encodeValues(
          seq,
          tick.wire,
          samples.map((x) => t.encoder.indexOf(x.m, x.l)),
          samples.map((x) => x.v),
          { stateKinds: STATE_KINDS, states: hostStates(s, tick.wire, tick.wire - tick.at) },
        );
        t.sendEncoded(seq, frame);
      }
      opts.onTick?.(tick.at);
      await new Promise((r) => setTimeout(r, tick.pauseMs));
    }
    // every batch acknowledged (so judged), then one more reading of the alerts
    await waitFor(() => transports.every(([, t]) => t.buffer.size === 0), DRAIN_TIMEOUT_MS, 'the last acks');
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    await watcher.poll();
  } finally {
    watcher.halt();
    await Promise.all(transports.map(([, t]) => t.stop()));
  }
  return buildTimeline(gitter.LINKS, gitter.OUTAGE, gitter.NOTES, watcher.pages());
}
