/**
 * HTTPS and wss for the server: certificate and key from files, re-read when
 * either changes (a renewed certificate is served without a restart), and
 * optional mutual TLS: with a client CA, an agent must present a certificate
 * signed by it, and its identity is the certificate's common name.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../shared/log.js';
import { errorMessage } from '../shared/errors.js';

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  /** CA that signs agents' client certificates (mutual TLS); null: no client certificates. */
  clientCaFile?: string | null;
  /** How often the files are checked for changes. */
  reloadIntervalMs?: number;
}

function secureContext(o: TlsOptions): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${errorMessage(err)}`, { cause: err });
    }
  };
  return {
    cert: read('certificate', o.certFile),
    key: read('key', o.keyFile),
    ...(o.clientCaFile ? { ca: read('client CA', o.clientCaFile) } : {}),
  };
}

/** An HTTPS server for `handler`; the returned stop() ends the file watching. */
export function createTlsServer(
  o: TlsOptions,
  handler: http.RequestListener,
  log: Logger,
  serverOptions: http.ServerOptions = {},
): { server: https.Server; stop: () => void } {
  const server = https.createServer(
    {
      ...serverOptions,
      ...secureContext(o),
      // Browsers have no client certificate: ask for one, and judge it where agents connect.
      requestCert: !!o.clientCaFile,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    handler,
  );
  const files = [o.certFile, o.keyFile, ...(o.clientCaFile ? [o.clientCaFile] : [])];
  const reload = () => {
    try {
      server.setSecureContext({ ...secureContext(o), minVersion: 'TLSv1.2' });
      log.info('TLS certificate reloaded', { cert: o.certFile });
    } catch (err) {
      log.error('TLS certificate reload failed; still serving the previous one', { error: errorMessage(err) });
    }
  };
  for (const f of files) watchFile(f, { interval: o.reloadIntervalMs ?? 2000, persistent: false }, reload);
  return { server, stop: () => files.forEach((f) => unwatchFile(f, reload)) };
}

/**
 * The agent id a verified client certificate names (its subject CN), or the
 * reason there is none.
 */
export function clientCertificateIdentity(socket: unknown): { id: string } | { error: string } {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function') return { error: 'mutual TLS requires https' };
  const cert = tls.getPeerCertificate();
  if (!cert || !cert.subject) return { error: 'no client certificate presented' };
  if (!tls.authorized) return { error: `client certificate not trusted: ${String(tls.authorizationError)}` };
  const cn = cert.subject.CN;
  const id = Array.isArray(cn) ? cn[0] : cn;
  return id ? { id } : { error: 'client certificate has no common name' };
}
