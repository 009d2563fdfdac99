import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveSettings } from '../../cli/config.js';
import { tempDir } from '../helpers/process.js';

describe('configuration precedence: flags > TIDEMARK_* > YAML > defaults', () => {
  const file = path.join(tempDir(), 'tidemark.yaml');
  writeFileSync(file, 'server:\n  port: 9000\n  host: 127.0.0.2\nagent:\n  intervalMs: 2000\nlog:\n  level: warn\n');

  it('takes each value from the highest source that sets it', () => {
    const s = resolveSettings(
      ['port', 'host', 'intervalMs', 'logLevel', 'buffer'],
      { config: file, port: '7100' },
      { TIDEMARK_HOST: '127.0.0.3', TIDEMARK_INTERVAL_MS: '500' },
    );
    expect(s).toEqual({ port: 7100, host: '127.0.0.3', intervalMs: 500, logLevel: 'warn', buffer: 3600 });
  });

  it('reads the file named by TIDEMARK_CONFIG', () => {
    expect(resolveSettings(['port'], {}, { TIDEMARK_CONFIG: file })).toEqual({ port: 9000 });
  });

  it('names the source of a bad value', () => {
    expect(() => resolveSettings(['port'], {}, { TIDEMARK_PORT: '70000' })).toThrow(
      /TIDEMARK_PORT: must be a whole number from 0 to 65535 \(got "70000"\)/,
    );
    expect(() => resolveSettings(['server'], { server: 'http://x' }, {})).toThrow(
      /--server: must start with ws:\/\/ or wss:\/\//,
    );
    expect(() => resolveSettings(['logLevel'], { config: file }, { TIDEMARK_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
  });

  it('rejects unknown keys at any depth and files that are not YAML mappings', () => {
    const typo = path.join(tempDir(), 'typo.yaml');
    writeFileSync(typo, 'sever:\n  port: 1\n');
    expect(() => resolveSettings(['port'], { config: typo }, {})).toThrow(
      `${typo}:1: unknown key "sever" (did you mean "server"?)`,
    );
    writeFileSync(typo, 'agent:\n  intervalMs: 500\n  bufer: 10\nlog:\n  level: info\n');
    expect(() => resolveSettings(['port'], { config: typo }, {})).toThrow(
      `${typo}:3: unknown key "agent.bufer" (did you mean "agent.buffer"?)`,
    );
    writeFileSync(typo, 'server:\n  zzzzzzzz: 1\n');
    // Nothing is near enough to guess: no "did you mean".
    expect(() => resolveSettings(['port'], { config: typo }, {})).toThrow(
      /typo\.yaml:2: unknown key "server\.zzzzzzzz"$/,
    );
    const list = path.join(tempDir(), 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(() => resolveSettings(['port'], { config: list }, {})).toThrow(/must be a mapping/);
    expect(() => resolveSettings(['port'], { config: '/nonexistent/x.yaml' }, {})).toThrow(/cannot read config file/);
  });
});

describe("the agent's inventory check interval", () => {
  it('defaults to an hour, is read from every source, and stays within 1 s to a day', () => {
    expect(resolveSettings(['inventoryIntervalMs'], {}, {})).toEqual({ inventoryIntervalMs: 3_600_000 });
    const file = path.join(tempDir(), 'agent.yaml');
    writeFileSync(file, 'agent:\n  inventoryIntervalMs: 60000\n');
    expect(resolveSettings(['inventoryIntervalMs'], { config: file }, {})).toEqual({ inventoryIntervalMs: 60_000 });
    expect(
      resolveSettings(['inventoryIntervalMs'], { config: file }, { TIDEMARK_INVENTORY_INTERVAL_MS: '30000' }),
    ).toEqual({ inventoryIntervalMs: 30_000 });
    expect(resolveSettings(['inventoryIntervalMs'], { inventoryIntervalMs: '1000' }, {})).toEqual({
      inventoryIntervalMs: 1000,
    });
    expect(resolveSettings(['inventoryIntervalMs'], { inventoryIntervalMs: '86400000' }, {})).toEqual({
      inventoryIntervalMs: 86_400_000,
    });
    expect(() => resolveSettings(['inventoryIntervalMs'], { inventoryIntervalMs: '999' }, {})).toThrow(
      /--inventory-interval-ms: must be a whole number from 1000 to 86400000 \(got "999"\)/,
    );
    expect(() => resolveSettings(['inventoryIntervalMs'], {}, { TIDEMARK_INVENTORY_INTERVAL_MS: '86400001' })).toThrow(
      /TIDEMARK_INVENTORY_INTERVAL_MS: must be a whole number from 1000 to 86400000/,
    );
  });
});
