import { describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../shared/protocol.js';
import { SessionSeries, decodeAgentFrame } from '../../server/agent-frames.js';
import { decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { binaryBatch, reading } from '../helpers/binary-frames.js';

function session(): SessionSeries {
  const t = new SessionSeries();
  t.reset([['mongod_up']]);
  return t;
}

const down = (since: number, lastError: unknown) => ({
  kind: 'mongod',
  key: 'status',
  value: { up: false, uri: 'mongodb://127.0.0.1:27017', since, lastError },
});
const fs = { kind: 'filesystem', key: '/', value: { mountPoint: '/' } };
const extras = (states: unknown[]) => JSON.stringify({ stateKinds: ['mongod', 'filesystem'], states });

describe('both decoders mark a state not in its shape the same way, frame after frame', () => {
  it('protocol 2 (JSON) and protocol 3 (binary, with its memo of the last extras) agree', () => {
    // Good, then the status turns bad (the memo parses that element alone), its number changes while it stays
    // bad (renewed by its numbers, not parsed: the mark must come along), the same bytes again (not parsed),
    // then good again; the file system is never its shape.
    const sequence = [
      extras([down(1, 'refused'), fs]),
      extras([down(1, null), fs]),
      extras([down(22, null), fs]),
      extras([down(22, null), fs]),
      extras([down(23, 'refused'), fs]),
    ];
    const json = session();
    const binary = session();
    const recalls: string[] = [];
    const problems: (string | undefined)[][] = [];
    sequence.forEach((text, i) => {
      const seq = i + 1;
      const b = decodeBinaryFrame(binaryBatch(seq, [1], text), binary);
      recalls.push(binary.extras.lastRecall);
      const j = decodeAgentFrame(
        `{"type":"batch","seq":${seq},"ts":${1_700_000_000_000 + seq * 1000},"v":"AAAAAAAA8D8=",${text.slice(1)}`,
        json,
      );
      expect(reading(b)).toBe(reading(j));
      problems.push((b as { value: DecodedBatch }).value.states!.map((s) => s.problem));
    });
    expect(recalls).toEqual(['none', 'elements', 'numbers', 'same bytes', 'elements']);
    const fsProblem = 'fsType must be a string';
    expect(problems).toEqual([
      [undefined, fsProblem],
      ['lastError must be a string', fsProblem],
      ['lastError must be a string', fsProblem],
      ['lastError must be a string', fsProblem],
      [undefined, fsProblem],
    ]);
  });
});
