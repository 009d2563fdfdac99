import { describe, expect, it } from 'vitest';
import type { Hello } from '../../shared/protocol.js';
import { HostRegistry } from '../../server/hosts.js';

const hello = (agentId: string, hostname = agentId): Hello =>
  ({ type: 'hello', protocol: 3, agentId, session: 's', hostname, agentVersion: '1' }) as Hello;
const ids = (r: HostRegistry) => r.list().map((h) => h.id);

describe('HostRegistry.list', () => {
  it('keeps id order through connects, remembered hosts, reconnects and forgets', () => {
    const r = new HostRegistry();
    r.connected(hello('db-b'), 1);
    r.connected(hello('db-c'), 1);
    expect(ids(r)).toEqual(['db-b', 'db-c']);
    r.remembered('db-a', 0);
    expect(ids(r)).toEqual(['db-a', 'db-b', 'db-c']);
    r.forget('db-b');
    expect(ids(r)).toEqual(['db-a', 'db-c']);
    r.connected(hello('db-0'), 2);
    expect(ids(r)).toEqual(['db-0', 'db-a', 'db-c']);
  });

  it('lists the current summary of a host that connected again, not the one it replaced', () => {
    const r = new HostRegistry();
    r.connected(hello('db1', 'old-name'), 1);
    expect(r.list()[0]!.hostname).toBe('old-name');
    r.connected(hello('db1', 'new-name'), 2);
    expect(r.list().map((h) => h.hostname)).toEqual(['new-name']);
    r.disconnected('db1', 3);
    expect(r.list()[0]).toMatchObject({ hostname: 'new-name', connected: false, lastSeen: 3 });
  });

  it('gives each caller an array of its own', () => {
    const r = new HostRegistry();
    r.connected(hello('db1'), 1);
    r.connected(hello('db2'), 1);
    r.list().reverse();
    expect(ids(r)).toEqual(['db1', 'db2']);
  });
});
