/**
 * Real X.509 certificates for TLS tests, made with the openssl binary: a CA,
 * a server certificate it signs (localhost, 127.0.0.1), client certificates
 * whose common name is an agent id, and a self-signed certificate nobody trusts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './process.js';

export interface CertFiles {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second server certificate from the same CA, for reload tests. */
  serverCert2: string;
  serverKey2: string;
  untrustedCert: string;
  untrustedKey: string;
  client: (cn: string) => { cert: string; key: string };
}

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

export function makeCerts(): CertFiles {
  const dir = tempDir('tidemark-certs-');
  const p = (f: string) => path.join(dir, f);
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Tidemark Test CA',
  );
  writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const signed = (name: string, cn: string, ext: string) => {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      ext,
    );
    return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
  };
  const server = signed('server', 'localhost', 'server.ext');
  const server2 = signed('server2', 'localhost', 'server.ext');
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'untrusted.key',
    '-out',
    'untrusted.crt',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    serverCert2: server2.cert,
    serverKey2: server2.key,
    untrustedCert: p('untrusted.crt'),
    untrustedKey: p('untrusted.key'),
    client: (cn: string) => signed(`client-${cn}`, cn, 'client.ext'),
  };
}
