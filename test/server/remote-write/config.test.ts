import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteWriteConfig } from '../../../cli/remote-write-config.js';
import { silentLogger } from '../../../shared/log.js';
import { RemoteWrite } from '../../../server/remote-write/index.js';
import { tempDir, until } from '../../helpers/process.js';
import { decodeWriteRequest, startRemoteWriteReceiver } from '../../helpers/remote-write-receiver.js';

function yamlFile(text: string): string {
  const file = path.join(tempDir(), 'tidemark.yaml');
  writeFileSync(file, text);
  return file;
}

describe('remote-write configuration', () => {
  it('takes --remote-write flags, else TIDEMARK_REMOTE_WRITE, plus the YAML targets with their options', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'pass'), 's3cret\n');
    const file = path.join(dir, 'tidemark.yaml');
    writeFileSync(
      file,
      `remoteWrite:
  maxAge: 30m
  maxBytes: 512MiB
  targets:
    - url: https://vm.example:8428/api/v1/write
      headers: { X-Scope-OrgID: dbteam }
      basicAuth: { username: tidemark, passwordFile: pass }
      tls: { caFile: ca.pem, insecureSkipVerify: false }
      shards: 2
      batchDeadline: 500ms
`,
    );
    const env = { TIDEMARK_REMOTE_WRITE: 'http://env-a/w, http://env-b/w' };
    const withFlag = remoteWriteConfig({ config: file, remoteWrite: ['http://flag/w'] }, env)!;
    expect(withFlag.targets.map((t) => t.url)).toEqual(['http://flag/w', 'https://vm.example:8428/api/v1/write']);
    expect(withFlag.targets[1]).toEqual({
      url: 'https://vm.example:8428/api/v1/write',
      headers: { 'X-Scope-OrgID': 'dbteam' },
      basicAuth: { username: 'tidemark', password: 's3cret' },
      tls: { caFile: path.join(dir, 'ca.pem'), certFile: undefined, keyFile: undefined, insecureSkipVerify: false },
      shards: 2,
      maxSamplesPerSend: undefined,
      batchDeadlineMs: 500,
    });
    expect([withFlag.maxAgeMs, withFlag.maxBytes]).toEqual([30 * 60_000, 512 * 1024 ** 2]);
    expect(remoteWriteConfig({}, env)!.targets.map((t) => t.url)).toEqual(['http://env-a/w', 'http://env-b/w']);
    expect(remoteWriteConfig({}, {})).toBeNull();
  });

  it('refuses bad values with where they came from', () => {
    expect(() => remoteWriteConfig({ remoteWrite: ['ftp://x'] }, {})).toThrow(
      /--remote-write: "ftp:\/\/x" is not an http\(s\) URL/,
    );
    expect(() => remoteWriteConfig({ remoteWrite: ['http://a/w', 'http://a/w'] }, {})).toThrow(/given twice/);
    const cases: [string, RegExp][] = [
      ['remoteWrite:\n  maxAge: 10s\n', /remoteWrite.maxAge in .*: a duration of at least 1m/],
      ['remoteWrite:\n  maxBytes: 12KiB\n', /remoteWrite.maxBytes in .*: a size of at least 1MiB/],
      [
        'remoteWrite:\n  targets:\n    - url: http://a/w\n      shards: 0\n',
        /targets\[0\].shards: a whole number from 1 to 64/,
      ],
      ['remoteWrite:\n  targets:\n    - url: http://a/w\n      sharts: 2\n', /targets\[0\]: unknown key "sharts"/],
      [
        'remoteWrite:\n  targets:\n    - url: http://a/w\n      tls: { insecureSkipVerify: true }\n',
        /TLS options need an https:\/\/ url/,
      ],
      [
        'remoteWrite:\n  targets:\n    - url: http://a/w\n      basicAuth: { username: u, password: p }\n      bearerToken: t\n',
        /basicAuth and bearerToken exclude each other/,
      ],
    ];
    for (const [text, re] of cases) expect(() => remoteWriteConfig({ config: yamlFile(text) }, {})).toThrow(re);
  });
});

describe('remote-write credentials and TLS on the wire', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('sends basic auth, a bearer token and extra headers as configured', async () => {
    const r = await startRemoteWriteReceiver();
    closers.push(() => r.close());
    const rw = new RemoteWrite({
      dir: tempDir(),
      log: silentLogger,
      targets: [
        { url: r.url, basicAuth: { username: 'u', password: 'p:w' }, headers: { 'X-Scope-OrgID': 'db' } },
        { url: r.url.replace('/api/v1/write', '/other'), bearerToken: 'tok' },
      ],
    });
    closers.push(() => rw.close(0));
    rw.ingest('db1', {
      type: 'batch',
      seq: 1,
      ts: 1000,
      series: [{ m: 'disk_util_percent' }],
      values: Float64Array.of(1),
    });
    await until(() => r.requests.length === 2, 5000, 'two requests');
    const auth = r.requests.map((q) => [q.headers.authorization, q.headers['x-scope-orgid']]).sort();
    expect(auth).toEqual([
      [`Basic ${Buffer.from('u:p:w').toString('base64')}`, 'db'],
      ['Bearer tok', undefined],
    ]);
  });

  it('verifies the server against the configured CA, and refuses an unknown one', async () => {
    const dir = tempDir();
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    let samples = 0;
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        samples += decodeWriteRequest(Buffer.concat(chunks)).length;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`;
    const trusted = new RemoteWrite({ dir: tempDir(), log: silentLogger, targets: [{ url, tls: { caFile: cert } }] });
    const untrusted = new RemoteWrite({ dir: tempDir(), log: silentLogger, targets: [{ url, minBackoffMs: 10 }] });
    closers.push(
      () => trusted.close(0),
      () => untrusted.close(0),
    );
    for (const rw of [trusted, untrusted])
      rw.ingest('db1', {
        type: 'batch',
        seq: 1,
        ts: 1000,
        series: [{ m: 'disk_util_percent' }],
        values: Float64Array.of(1),
      });
    await until(
      () => trusted.stats().targets[0]!.sent === 1 && untrusted.stats().targets[0]!.retries > 0,
      5000,
      'one delivery, one refusal',
    );
    expect(samples).toBe(1);
    expect(trusted.stats().targets[0]!.sent).toBe(1);
    expect(untrusted.stats().targets[0]!.sent).toBe(0);
    expect(untrusted.stats().targets[0]!.lastError).toMatch(/certificate/i);
  });
});
