import { describe, expect, it } from 'vitest';
import { parseInventoryReply } from '../../agent/inventory.js';

describe("the inventory child's reply on stdout", () => {
  it('gives the inventory of a successful child', () => {
    expect(parseInventoryReply('{"ok":true,"inventory":{"os":{"platform":"linux"}}}\n', 0)).toEqual({
      os: { platform: 'linux' },
    });
  });

  it('reads the reply from the last line, past what a library printed before it', () => {
    const text = 'systeminformation: lsblk not found, skipping\n{"ok":true,"inventory":{"cpu":{"cores":2}}}\n\n';
    expect(parseInventoryReply(text, 0)).toEqual({ cpu: { cores: 2 } });
  });

  it("reports the child's own error", () => {
    expect(() => parseInventoryReply('{"ok":false,"error":"lsblk failed"}\n', 1)).toThrow('lsblk failed');
  });

  it('reports a child that died without a result, with its exit code', () => {
    expect(() => parseInventoryReply('', null)).toThrow('inventory process exited with null without a result');
    expect(() => parseInventoryReply('{"ok":tr', 137)).toThrow('exited with 137 without a result');
  });
});
