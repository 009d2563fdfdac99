import { onTestFinished } from 'vitest';
import { TidemarkServer } from '../../server/server.js';
import { silentLogger } from '../../shared/log.js';

type ServerOptions = ConstructorParameters<typeof TidemarkServer>[0];

/**
 * An in-process server on a loopback port for one test (agent token `t` unless
 * given), closed when the test finishes — after its afterEach hooks, so
 * agents and sockets those hooks close go first.
 */
export async function startLoopbackServer(opts: Partial<ServerOptions> = {}) {
  const server = new TidemarkServer({
    host: '127.0.0.1',
    port: 0,
    agentToken: 't',
    apiToken: null,
    log: silentLogger,
    ...opts,
  });
  onTestFinished(() => server.close());
  const port = await server.listen();
  return { server, port, base: `http://127.0.0.1:${port}` };
}
