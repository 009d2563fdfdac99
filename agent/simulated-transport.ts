import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION } from '../shared/wire.js';
import type { Logger } from '../shared/log.js';
import { AgentTransport } from './transport.js';

/**
 * The real agent transport for a simulated host (the simulator, the replayed
 * scenario, the tests' scripted fleet): its own session, hostname = id unless given, no
 * inventory, and `version` telling it apart from a real agent.
 */
export function simulatedTransport(opts: {
  id: string;
  /** Defaults to the id. */
  hostname?: string;
  serverUrl: string;
  token: string;
  version: string;
  log: Logger;
  bufferCapacity: number;
}): AgentTransport {
  const session = randomBytes(8).toString('hex');
  return new AgentTransport({
    serverUrl: opts.serverUrl,
    token: opts.token,
    bufferCapacity: opts.bufferCapacity,
    log: opts.log,
    hello: () => ({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentId: opts.id,
      session,
      hostname: opts.hostname ?? opts.id,
      agentVersion: opts.version,
      inventory: null,
    }),
  });
}
