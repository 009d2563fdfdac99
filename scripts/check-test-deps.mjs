// Fails fast, with the fix, when a tool the tests drive for real is missing.
import { accessSync, constants } from 'node:fs';

const needs = [
  ['/usr/bin/chromium', 'chromium', 'the dashboard browser test'],
  ['fio', 'fio', 'the real disk-load test'],
  ['logrotate', 'logrotate', 'the logrotate checks'],
  ['victoria-metrics', 'victoria-metrics', 'the remote-write tests'],
  ['prometheus', 'prometheus', 'the remote-write and rules-export tests'],
  ['promtool', 'prometheus', 'the rules-export test'],
  ['prometheus-alertmanager', 'prometheus-alertmanager', 'the HA pair test (one Alertmanager for two servers)'],
  ['openssl', 'openssl', 'the TLS tests (they make their certificates)'],
];
const path = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
const found = (bin) =>
  (bin.startsWith('/') ? [bin] : path.map((d) => `${d}/${bin}`)).some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const missing = needs.filter(
  ([bin]) => !found(process.env.CHROMIUM_PATH && bin.endsWith('chromium') ? process.env.CHROMIUM_PATH : bin),
);
if (missing.length) {
  for (const [bin, pkg, why] of missing) console.error(`missing ${bin} (Debian package ${pkg}), needed by ${why}`);
  console.error(
    `install them with: sudo apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')}   (or run: sudo bash .ci/run)`,
  );
  process.exit(1);
}
