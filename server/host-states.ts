/**
 * A batch's structured states into a host's maps: a kind the batch reports in
 * full (`stateKinds`) gets a new map, and each state is then written into its
 * kind's map (the last of two states of one kind and key wins). An agent
 * sends the same kinds and keys second after second — only values change (a
 * live mongod's gauges) — so the layout of the last batch is kept: a batch
 * laid out the same way writes its values straight into the maps the last
 * one filled, which then hold exactly what new maps would (the same keys, in
 * the same order, the same values), without a new map per kind per batch.
 *
 * A state set aside for its shape (its `problem`, shared/state-shapes.ts)
 * is not written: its key keeps the last good value it had (or stays absent),
 * also when its kind's map is renewed. What the server last understood is
 * shown, with the host's reason saying that it is no longer current
 * (server/health.ts), rather than dropped: a degraded array's alert does not
 * resolve because the agent's state of it became unreadable.
 */
import type { CheckedState, DecodedBatch, StateProblem, WireState } from '../shared/protocol.js';
import type { HostStates } from '../shared/states.js';
import { bareMap } from '../shared/json-limits.js';

type StateMap = Record<string, unknown>;
type StatesOfBatch = Pick<DecodedBatch, 'stateKinds' | 'states'>;
const NONE: readonly never[] = [];

/** How the last batch's states fell on a host's maps: its full kinds, its states (kind, key) and each one's map. */
export class StatesLayout {
  constructor(
    /** The host's states object the maps belong to. */
    private readonly into: HostStates,
    private kinds: readonly string[],
    private states: readonly WireState[],
    private readonly maps: readonly StateMap[],
  ) {}

  /** Whether a batch's states fall as the last batch's did: the same full kinds, the same kind and key at each place. */
  fits(into: HostStates, kinds: readonly string[], states: readonly WireState[]): boolean {
    const last = this.states;
    if (into !== this.into || states.length !== last.length || !sameStrings(kinds, this.kinds)) return false;
    for (let i = 0; i < states.length; i++) {
      const a = states[i]!;
      const b = last[i]!;
      if (a !== b && (a.kind !== b.kind || a.key !== b.key)) return false;
    }
    return true;
  }

  /** Writes the values of a batch that fits; in order, so that the last of one kind and key wins, as it does anew. */
  write(kinds: readonly string[], states: readonly WireState[]): void {
    const maps = this.maps;
    for (let i = 0; i < states.length; i++) maps[i]![states[i]!.key] = states[i]!.value;
    this.kinds = kinds;
    this.states = states;
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Records a batch's states in `into` (a host's states); `last` is what the
 * host's last batch left (null: none). Returns the layout to pass with the
 * host's next batch.
 */
export function recordStates(into: HostStates, batch: StatesOfBatch, last: StatesLayout | null): StatesLayout | null {
  const kinds = batch.stateKinds ?? NONE;
  const states = batch.states ?? NONE;
  // Nothing to write: the maps stay as the last batch left them, and so does its layout.
  if (kinds.length === 0 && states.length === 0) return last;
  // Rare: laid out anew, and the next batch too (a layout would write the bad state's place).
  if (problemCount(states) > 0) return recordAround(into, kinds, states);
  if (last !== null && last.fits(into, kinds, states)) {
    last.write(kinds, states);
    return last;
  }
  // Maps without prototypes: an agent's names are data, never Object.prototype's properties.
  for (const kind of kinds) into[kind] = bareMap();
  const maps = new Array<StateMap>(states.length);
  for (let i = 0; i < states.length; i++) {
    const st = states[i]!;
    const map = (into[st.kind] ??= bareMap());
    map[st.key] = st.value;
    maps[i] = map;
  }
  return new StatesLayout(into, kinds, states, maps);
}

/** How many of a batch's states were set aside for their shape. */
export function problemCount(states: readonly CheckedState[]): number {
  let n = 0;
  for (let i = 0; i < states.length; i++) if (states[i]!.problem !== undefined) n++;
  return n;
}

/** Records a batch's good states; each state set aside keeps its key's last good value, as `into` held it. */
function recordAround(into: HostStates, kinds: readonly string[], states: readonly CheckedState[]): null {
  const before = new Map<string, Record<string, Record<string, unknown>> | undefined>();
  for (const kind of kinds) {
    // A kind listed twice is renewed once: its second listing would keep the first's empty map as "before".
    if (before.has(kind)) continue;
    before.set(kind, into[kind]);
    into[kind] = bareMap();
  }
  for (const st of states) {
    if (st.problem === undefined) (into[st.kind] ??= bareMap())[st.key] = st.value;
    else if (into[st.kind] !== undefined && !(st.key in into[st.kind]!)) {
      // Set aside: the key keeps what it held (a kind not renewed holds it still); no map is made for nothing.
      const kept = before.get(st.kind)?.[st.key];
      if (kept !== undefined) into[st.kind]![st.key] = kept;
    }
  }
  return null;
}

/** The states of a batch set aside for their shape; undefined when none were. */
export function stateProblems(states: readonly CheckedState[]): StateProblem[] | undefined {
  if (problemCount(states) === 0) return undefined;
  const out: StateProblem[] = [];
  for (const { kind, key, problem } of states) if (problem !== undefined) out.push({ kind, key, problem });
  return out;
}
