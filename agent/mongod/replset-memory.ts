import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors.js';

/**
 * What the agent remembers of its mongod's replica set across its own
 * restarts, so an agent started while mongod is down still reports the set
 * (as unknown) instead of nothing: the set's name, and since when its view
 * has been unknown (null: it was known when last read).
 */
export interface ReplsetMemory {
  set: string;
  unknownSince: number | null;
}

/** The memory's file for one watched mongod (`instance` null: the only one) in the agent's own directory. */
export function replsetMemoryFile(dir: string, instance: string | null): string {
  return path.join(dir, `replset-${(instance ?? 'mongod').replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

function parse(text: string): ReplsetMemory | null {
  const v = JSON.parse(text) as { set?: unknown; unknownSince?: unknown } | null;
  if (typeof v?.set !== 'string' || v.set === '') return null;
  const since = v.unknownSince;
  return { set: v.set, unknownSince: typeof since === 'number' && Number.isFinite(since) ? since : null };
}

/**
 * The memory in a small JSON file, written (whole, then renamed) only when it
 * changes: at a loss, a recovery or a new set name, never every second. A
 * file that is missing or not a memory is nothing remembered; a write that
 * fails is kept as `failure` and the agent carries on without it.
 */
export class ReplsetMemoryFile {
  private written: string | null = null;
  failure: string | null = null;

  constructor(readonly file: string) {}

  read(): ReplsetMemory | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const m = parse(text);
      this.written = m ? JSON.stringify(m) : null;
      return m;
    } catch {
      return null;
    }
  }

  /** Remembers `m`, or forgets the set (null: mongod is no replica-set member). */
  write(m: ReplsetMemory | null): void {
    const text = m ? JSON.stringify({ set: m.set, unknownSince: m.unknownSince }) : null;
    if (text === this.written) return;
    try {
      if (text === null) rmSync(this.file, { force: true });
      else {
        mkdirSync(path.dirname(this.file), { recursive: true });
        writeFileSync(`${this.file}.tmp`, text + '\n');
        renameSync(`${this.file}.tmp`, this.file);
      }
      this.written = text;
      this.failure = null;
    } catch (err) {
      this.failure = `replica-set memory ${this.file}: ${errorMessage(err)}`;
    }
  }
}
