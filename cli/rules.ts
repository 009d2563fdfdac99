import { loadRuleFile } from '../server/alerts/rules.js';

/** `tidemark rules check FILE…`: errors as file:line: reason; exit 0 when every file is valid, 1 otherwise. */
export function rulesCheckCommand(files: string[]): number {
  let bad = 0;
  for (const file of files) {
    const { rules, errors } = loadRuleFile(file);
    if (errors.length) {
      bad++;
      for (const e of errors) process.stderr.write(`${e.file}:${e.line}: ${e.message}\n`);
    } else {
      process.stdout.write(`${file}: ${rules.length} rule(s) ok\n`);
    }
  }
  return bad ? 1 : 0;
}
