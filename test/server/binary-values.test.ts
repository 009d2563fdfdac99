import { describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../shared/protocol.js';
import { SessionSeries } from '../../server/agent-frames.js';
import { VALUE_SLAB_BYTES, decodeBinaryFrame } from '../../server/agent-binary-frames.js';
import { binaryBatch } from '../helpers/binary-frames.js';

describe("binary batches' values", () => {
  it('stay each batch its own while many are kept, across shared slabs and beside large batches', () => {
    const largest = VALUE_SLAB_BYTES / 4 / 8; // values of the largest batch that shares a slab
    const t = new SessionSeries();
    t.reset(Array.from({ length: largest + 1 }, (_, k) => ['disk_util_percent', { device: `d${k}` }]));
    // Sizes that fill slabs unevenly, the largest that shares one, one past it (an array of its own), none.
    const sizes = [93, 7, 1, largest, largest + 1, 0, 500];
    const kept: DecodedBatch[] = [];
    for (let seq = 1; seq <= 3000; seq++) {
      const n = sizes[seq % sizes.length]!;
      // Value j of batch seq is seq × 10 000 + j + 0.25: distinct across batches and positions.
      const r = decodeBinaryFrame(
        binaryBatch(
          seq,
          Array.from({ length: n }, (_, j) => seq * 10_000 + j + 0.25),
        ),
        t,
      );
      if (!r.ok) throw new Error(r.message);
      kept.push(r.value as DecodedBatch);
      // A refused frame in between takes nothing from the others.
      expect(decodeBinaryFrame(binaryBatch(seq, [Infinity]), t).ok).toBe(false);
    }
    const wrong = kept.flatMap((b) => {
      const n = sizes[b.seq % sizes.length]!;
      if (b.values.length !== n) return [`batch ${b.seq}: ${b.values.length} values, not ${n}`];
      for (let j = 0; j < n; j++)
        if (b.values[j] !== b.seq * 10_000 + j + 0.25) return [`batch ${b.seq} value ${j}: ${b.values[j]}`];
      return [];
    });
    expect(wrong).toEqual([]);
  });
});
