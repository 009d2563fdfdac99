/**
 * What the ws package takes from node:crypto, for the agent's bundle: scripts/build-agent.mjs resolves ws's
 * `require('crypto')` to this module. A client needs a random handshake key and SHA-1 to check the server's
 * answer (RFC 6455 section 4.1), and random mask keys (unused: the agent's key is zero, see transport.ts).
 * node:crypto would cost the agent ~1.4 MB of RSS for these three calls; any other use loads it then.
 * SHA-1 comes from @noble/hashes (audited, no dependencies, plain JavaScript).
 */
import { createRequire } from 'node:module';
import { fillRandom, randomBytes } from './random-bytes.js';
import { sha1 } from '@noble/hashes/legacy.js';

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: NodeCrypto | null = null;
const loadNodeCrypto = (): NodeCrypto => (nodeCrypto ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto);

/** A SHA-1 hash with node:crypto's update/digest calls (what ws uses of a Hash). */
class Sha1Hash {
  private readonly parts: Buffer[] = [];

  update(data: string | Uint8Array, encoding?: BufferEncoding): this {
    this.parts.push(typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data));
    return this;
  }

  digest(encoding?: BufferEncoding): Buffer | string {
    const d = Buffer.from(sha1(Buffer.concat(this.parts)));
    return encoding ? d.toString(encoding) : d;
  }
}

export { randomBytes };

export function randomFillSync<T extends Uint8Array>(target: T, offset?: number, size?: number): T {
  fillRandom(target, offset, size);
  return target;
}

export function createHash(algorithm: string): Sha1Hash | ReturnType<NodeCrypto['createHash']> {
  return algorithm.toLowerCase() === 'sha1' ? new Sha1Hash() : loadNodeCrypto().createHash(algorithm);
}
