/**
 * Frames that are valid JSON and valid in shape but carry hostile values, each
 * with the error code the server must answer. The security tests send them
 * all; the fuzz harness can mix them in: none may change another agent's data
 * or any dashboard.
 */
export interface HostileFrame {
  name: string;
  /** The frame's text for a session whose next sequence number is `seq`, at server time about `now`. */
  text: (seq: number, now: number) => string;
  code: 'bad_frame' | 'bad_timestamp';
}

const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const batch = (seq: number, ts: number, extra = '', sample = '{"m":"disk_util_percent","l":{"device":"sda"},"v":1}') =>
  `{"type":"batch","seq":${seq},"ts":${ts},"samples":[${sample}]${extra}}`;
const state = (kind: string, key: string, value: string) =>
  `,"stateKinds":["${kind}"],"states":[{"kind":"${kind}","key":"${key}","value":${value}}]`;

export const HOSTILE_FRAMES: HostileFrame[] = [
  {
    name: 'state nested 5000 deep',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('raid_array', 'md0', nested(5000))),
  },
  {
    name: 'state of kind __proto__',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('__proto__', 'md0', '{"degraded":1}')),
  },
  {
    name: 'state of kind constructor',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('constructor', 'md0', '{}')),
  },
  {
    name: 'state key __proto__',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('raid_array', '__proto__', '{"degraded":1}')),
  },
  {
    name: '__proto__ inside a state value',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('raid_array', 'md0', '{"x":{"__proto__":{"degraded":1}}}')),
  },
  {
    name: 'prototype inside a state value',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('raid_array', 'md0', '{"prototype":1}')),
  },
  {
    name: 'state value of 300 keys',
    code: 'bad_frame',
    text: (s, t) =>
      batch(s, t, state('raid_array', 'md0', `{${Array.from({ length: 300 }, (_, i) => `"k${i}":1`).join(',')}}`)),
  },
  {
    name: 'state string of 5000 characters',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, state('raid_array', 'md0', `{"s":"${'x'.repeat(5000)}"}`)),
  },
  {
    name: 'label named __proto__',
    code: 'bad_frame',
    text: (s, t) => batch(s, t, '', '{"m":"disk_util_percent","l":{"__proto__":"x"},"v":1}'),
  },
  { name: 'metric named constructor', code: 'bad_frame', text: (s, t) => batch(s, t, '', '{"m":"constructor","v":1}') },
  { name: 'metric outside the catalogue', code: 'bad_frame', text: (s, t) => batch(s, t, '', '{"m":"made_up","v":1}') },
  { name: 'batch stamped in 2100', code: 'bad_timestamp', text: (s) => batch(s, Date.UTC(2100, 0, 1)) },
  { name: 'batch stamped in 1970', code: 'bad_timestamp', text: (s) => batch(s, 1000) },
  { name: 'batch an hour ahead', code: 'bad_timestamp', text: (s, t) => batch(s, t + 3_600_000) },
  {
    name: 'inventory nested 5000 deep',
    code: 'bad_frame',
    text: () => `{"type":"inventory","inventory":${nested(5000)}}`,
  },
  {
    name: 'inventory with __proto__',
    code: 'bad_frame',
    text: () => '{"type":"inventory","inventory":{"__proto__":{"x":1}}}',
  },
];
