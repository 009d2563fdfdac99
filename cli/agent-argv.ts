import { parseArgs, type ParseArgsConfig } from 'node:util';
import { collectorNames } from '../agent/collectors/host.js';
import { AGENT_FLAG_SETTINGS, AGENT_REPEATED, CONFIG_FLAG, flagsOf } from './setting-flags.js';

/**
 * `tidemark agent`'s command line read without commander, so the long-lived
 * agent process does not load the CLI's parser and every command's options
 * (measured in BENCHMARKS.md, "Fifth round"). It reads the same flag table
 * as the CLI (setting-flags.ts) and gives the flags commander would: values
 * under commander's camelCase names, the repeatable ones as lists, a
 * collector's `--collector.NAME` / `--no-collector.NAME` as true / false, the
 * last one winning. Anything else — help, the version, an unknown flag, a
 * missing or dash-led value, an argument, `--` — is left to the full CLI
 * (null), so help and every error read exactly as they always have.
 */

type AgentFlags = Record<string, string | string[] | boolean>;

interface FlagSpec {
  /** The key in the flags: commander's attribute name (`--failback-after` → `failbackAfter`). */
  key: string;
  repeated: boolean;
  /** For a switch: what giving it sets (false for `--no-collector.NAME`). */
  switchValue?: boolean;
}

/** Commander's attribute name for a long flag: `data-dir` → `dataDir`, `collector.raid` unchanged. */
function camelCase(long: string): string {
  return long.split('-').reduce((name, word) => name + word[0]!.toUpperCase() + word.slice(1));
}

/** Every flag the agent takes, by its long name without the dashes. */
function agentFlagSpecs(): Map<string, FlagSpec> {
  const specs = new Map<string, FlagSpec>();
  const valueFlags: [string, boolean][] = [
    ...AGENT_FLAG_SETTINGS.map((n): [string, boolean] => [
      flagsOf(n),
      (AGENT_REPEATED as readonly string[]).includes(n),
    ]),
    [CONFIG_FLAG, false],
    [flagsOf('logLevel'), false],
  ];
  for (const [flags, repeated] of valueFlags) {
    const [long, value] = flags.slice(2).split(' ') as [string, string | undefined];
    specs.set(long, { key: camelCase(long), repeated, switchValue: value === undefined ? true : undefined });
  }
  for (const name of collectorNames()) {
    specs.set(`collector.${name}`, { key: `collector.${name}`, repeated: false, switchValue: true });
    specs.set(`no-collector.${name}`, { key: `collector.${name}`, repeated: false, switchValue: false });
  }
  return specs;
}

/** The flags of `agent ...` (the arguments after the script), or null when the full CLI should read them. */
export function parseAgentArgv(args: readonly string[]): AgentFlags | null {
  if (args[0] !== 'agent') return null;
  const specs = agentFlagSpecs();
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [long, spec] of specs) options[long] = { type: spec.switchValue === undefined ? 'string' : 'boolean' };
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: args.slice(1), options, strict: true, allowPositionals: false, tokens: true }));
  } catch {
    return null;
  }
  const flags: AgentFlags = {};
  for (const token of tokens) {
    if (token.kind !== 'option') return null;
    const spec = specs.get(token.name)!;
    if (spec.switchValue !== undefined) flags[spec.key] = spec.switchValue;
    else if (spec.repeated) flags[spec.key] = [...((flags[spec.key] as string[] | undefined) ?? []), token.value!];
    else flags[spec.key] = token.value!;
  }
  return flags;
}
