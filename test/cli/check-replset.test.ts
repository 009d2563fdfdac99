import { afterAll, describe, expect, it } from 'vitest';
import { cliOutcome as cli } from '../helpers/process.js';
import { startFakeMongod, type FakeMongod } from '../helpers/fake-mongod.js';

describe('tidemark check replset when replSetGetStatus fails', () => {
  let fake: FakeMongod | undefined;
  afterAll(() => fake?.stop());

  // The agent reports an unknown view then; the check has no view to judge: it cannot check (exit 2), and never
  // prints quorum figures it does not have.
  it('says it cannot check, with the error, and prints no figures', async () => {
    const refused = 'not authorized on admin to execute command { replSetGetStatus: 1 }';
    fake = await startFakeMongod({
      replSetGetStatus: () => ({ ok: 0, errmsg: refused, code: 13, codeName: 'Unauthorized' }),
    });
    const text = await cli(['check', 'replset', '--uri', fake.uri]);
    expect(text.status).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain(`cannot query ${fake.uri}`);
    expect(text.stderr).toContain(refused);
    const json = await cli(['check', 'replset', '--uri', fake.uri, '--json']);
    expect(json.status).toBe(2);
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ ok: false, exitCode: 2 });
    expect(doc.error).toContain(refused);
    expect(doc).not.toHaveProperty('voters');
  });
});
