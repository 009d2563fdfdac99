import { ConfigError } from './config.js';
import { errorMessage } from '../shared/errors.js';

/** Exit codes every command shares: done and fine, done and found a problem, could not run (bad input or settings). */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_CANNOT_CHECK = 2;

/** A command that cannot do its job for a reason the user can fix (a missing file, a wrong flag): exit 2. */
export class CannotCheck extends Error {}

/**
 * Reports a command's failure and returns its exit code. With --json the failure is the command's one JSON
 * document on stdout (scripts parse stdout, whatever happened); the message also goes to stderr for people.
 */
export function reportFailure(err: unknown, json: boolean): number {
  const expected = err instanceof ConfigError || err instanceof CannotCheck;
  const exitCode = expected ? EXIT_CANNOT_CHECK : EXIT_PROBLEM;
  const message = errorMessage(err);
  if (json) process.stdout.write(JSON.stringify({ ok: false, exitCode, error: message }, null, 2) + '\n');
  process.stderr.write(`tidemark: ${expected || !(err instanceof Error) ? message : (err.stack ?? message)}\n`);
  return exitCode;
}
