import { ConfigError, resolveSettings } from './config.js';
import { CannotCheck, reportFailure } from './errors.js';
import { errorMessage } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import type { Flags } from './commands.js';

const MAX_SPEED = 3600;

/**
 * `tidemark simulate --scenario gitter-2016`: plays the seed's week against a
 * server and prints the timeline (text, or one JSON list of links with --json).
 * Exit 0 when every link paged before the outage, 1 when one did not, 2 when
 * the scenario could not be played.
 */
export async function scenarioCommand(flags: Flags): Promise<number> {
  const { SCENARIOS, playGitter2016 } = await import('../agent/scenario/play.js');
  if (!(SCENARIOS as readonly string[]).includes(String(flags.scenario)))
    throw new ConfigError(`--scenario: one of ${SCENARIOS.join(', ')}`);
  const s = resolveSettings(['server', 'token', 'readToken', 'logLevel'], flags);
  if (!s.token) throw new ConfigError('a token is required: pass --token or set TIDEMARK_TOKEN');
  const speed = Number(flags.speed ?? 60);
  if (!Number.isFinite(speed) || speed < 1 || speed > MAX_SPEED)
    throw new ConfigError(`--speed: scenario seconds per real second, from 1 to ${MAX_SPEED}`);
  const log = createLogger(s.logLevel, 'tidemark/simulate');
  const { timelineText } = await import('../agent/scenario/timeline.js');
  log.info('playing', { scenario: flags.scenario, server: s.server, speed });
  let t: Awaited<ReturnType<typeof playGitter2016>>;
  try {
    t = await playGitter2016({
      serverUrl: s.server,
      token: s.token,
      readToken: s.readToken || null,
      speed,
      log: log.child('transport'),
    });
  } catch (err) {
    // the server unreachable, a refused credential, batches never acknowledged: said in one line, exit 2
    return reportFailure(new CannotCheck(errorMessage(err)), !!flags.json);
  }
  if (flags.json) process.stdout.write(JSON.stringify(t.links, null, 2) + '\n');
  else
    process.stdout.write(
      timelineText(
        t,
        'Gitter, June 2016, replayed on the scenario clock (local time): each link, and when Tidemark paged',
      ) + '\n',
    );
  const ok = t.links.every((l) => l.paged_at !== null && l.paged_at < l.outage_at);
  return ok ? 0 : 1;
}
