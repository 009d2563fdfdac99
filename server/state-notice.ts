/**
 * States set aside for their shape (shared/state-shapes.ts), as an agent
 * connection notes them: each is counted (`badStates`, in /metrics), and the
 * agent is told once per connection — its batch was stored and acked, so
 * this is no refusal, and an agent sending the same bad state every second
 * is not answered every second.
 */
import type { CheckedState } from '../shared/protocol.js';
import type { Logger } from '../shared/log.js';
import { problemCount } from './host-states.js';

export class StateNotice {
  private told = false;

  /** The message to send the agent for a stored batch's states, or null (none set aside, or already told). */
  note(agent: string, seq: number, states: CheckedState[], counts: { badStates: number }, log: Logger): string | null {
    const bad = problemCount(states);
    if (bad === 0) return null;
    counts.badStates += bad;
    if (this.told) return null;
    this.told = true;
    const first = states.find((s) => s.problem !== undefined)!;
    const more = bad > 1 ? ` (and ${bad - 1} more)` : '';
    const message =
      `batch ${seq} stored, but state ${first.kind}/${first.key} set aside${more}: ${first.problem}; ` +
      'its key keeps its last good value, if it had one (said once per connection)';
    log.warn("state set aside: not its kind's shape", { agent, message });
    return message;
  }
}
