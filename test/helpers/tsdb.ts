import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, tempDir, until } from './process.js';

/**
 * Real Debian peer programs as remote-write targets and query APIs: each on a
 * loopback port and data directory of its own, started by the test and
 * stopped after. `start()` again after `stop()` reuses port and data.
 */
export interface PeerProcess {
  base: string;
  port: number;
  dataDir: string;
  start: () => Promise<void>;
  stop: () => Promise<void>;
  output: () => string;
}

function peer(cmd: string, args: (port: number, dataDir: string) => string[], readyPath: string) {
  return async (): Promise<PeerProcess> => {
    const port = await freePort();
    const dataDir = tempDir('tidemark-peer-');
    const base = `http://127.0.0.1:${port}`;
    let proc: ChildProcess | null = null;
    let out = '';
    const p: PeerProcess = {
      base,
      port,
      dataDir,
      output: () => out,
      start: async () => {
        proc = spawn(cmd, args(port, dataDir), { stdio: ['ignore', 'pipe', 'pipe'] });
        proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
        await until(
          async () => {
            if (proc?.exitCode !== null) throw new Error(`${cmd} exited: ${out.slice(-2000)}`);
            return fetch(base + readyPath).then(
              (r) => r.ok,
              () => false,
            );
          },
          30_000,
          `${cmd} ready`,
        );
      },
      stop: async () => {
        const c = proc;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      },
    };
    process.on('exit', () => proc?.kill('SIGKILL'));
    await p.start();
    return p;
  };
}

/** VictoriaMetrics single node; queries see samples at once (no 30 s latency offset). */
export const startVictoriaMetrics = peer(
  'victoria-metrics',
  (port, dir) => [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${dir}`,
    '-search.latencyOffset=0s',
    '-search.disableCache',
    '-retentionPeriod=100y',
  ],
  '/health',
);

/** Prometheus with the remote-write receiver on, scraping nothing; `rules` are rule files to load. */
export function startPrometheus(rules: string[] = [], extra: string[] = []): Promise<PeerProcess> {
  const dir = tempDir('tidemark-prom-config-');
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  evaluation_interval: 1s\nrule_files:\n${rules.map((r) => `  - ${JSON.stringify(r)}`).join('\n') || '  []'}\n`,
  );
  return peer(
    'prometheus',
    (port, data) => [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      ...extra,
    ],
    '/-/ready',
  )();
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Raw samples through PromQL: an instant query of a range selector returns every stored sample in the range. */
export async function rawSamples(base: string, selector: string, rangeSeconds: number): Promise<RangeSeries[]> {
  const url = new URL('/api/v1/query', base);
  url.searchParams.set('query', `${selector}[${rangeSeconds}s]`);
  url.searchParams.set('time', String(Date.now() / 1000));
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; error?: string; data: { result: RangeSeries[] } };
  if (body.status !== 'success') throw new Error(`${url.href}: ${body.error}`);
  return body.data.result;
}

/**
 * Alertmanager (Debian's prometheus-alertmanager) with `config` as its YAML, on
 * loopback, clustering off (a lone instance: the test is the HA pair of
 * Tidemark servers, not of Alertmanagers).
 */
export function startAlertmanager(config: string): Promise<PeerProcess> {
  const file = path.join(tempDir('tidemark-am-config-'), 'alertmanager.yml');
  writeFileSync(file, config);
  return peer(
    'prometheus-alertmanager',
    (port, data) => [
      `--config.file=${file}`,
      `--storage.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    '/-/ready',
  )();
}
