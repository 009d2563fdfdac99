/**
 * Where an engine's state survives restarts: saved shortly after every
 * change (coalesced over 100 ms) and at shutdown, through durable-file.ts
 * (atomic, retried, never throws); read back through state-file.ts.
 */
import type { Logger } from '../../shared/log.js';
import { StateFile } from './durable-file.js';
import { readState, type Persisted } from './state-file.js';

export class EngineState {
  private saveTimer: NodeJS.Timeout | null = null;
  private readonly file: StateFile | null;

  constructor(
    private readonly path: string | null,
    snapshot: () => Persisted,
    private readonly log: Logger,
    retryMs?: number,
  ) {
    this.file = path ? new StateFile(path, () => JSON.stringify(snapshot()), log, retryMs) : null;
  }

  /** The saved state, or null (none, or unreadable: logged). */
  load(): Persisted | null {
    return this.path ? readState(this.path, this.log) : null;
  }

  /** Saves soon: many changes in one evaluation make one write. */
  schedule(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.saveNow();
    }, 100);
    this.saveTimer.unref();
  }

  /**
   * Writes the state atomically (temp file, fsync, rename), so a crash
   * mid-write leaves the previous state. A full or read-only disk never throws
   * here (this runs from timers): the state stays in memory and is retried.
   */
  saveNow(): boolean {
    return this.file?.save() ?? true;
  }

  /** Why the state could not be saved (it is retried), or null. */
  get failure(): string | null {
    return this.file?.failure ?? null;
  }

  /** Stops the timers and saves a last time. */
  stop(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.file?.stop();
    this.saveNow();
  }
}
