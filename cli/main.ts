#!/usr/bin/env node
import { parseAgentArgv } from './agent-argv.js';
import { agentCommand } from './commands.js';
import { reportFailure } from './errors.js';

// `tidemark agent` with flags it reads itself runs without loading the CLI's commander program (the agent is the
// long-lived process on every host: BENCHMARKS.md, "Fifth round"); everything else, its help and its errors
// included, is the full CLI in program.ts.
const agentFlags = parseAgentArgv(process.argv.slice(2));
if (agentFlags) {
  agentCommand(agentFlags).catch((err: unknown) => {
    process.exit(reportFailure(err, process.argv.includes('--json')));
  });
} else {
  await import('./program.js');
}
