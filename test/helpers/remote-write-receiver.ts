import http from 'node:http';
import { uncompress } from 'snappyjs';

/** One sample as a remote-write receiver decoded it. */
export interface ReceivedSample {
  labels: [string, string][];
  ts: number;
  value: number;
}

/**
 * A real HTTP endpoint on loopback that decodes remote-write 1.0 requests by
 * the spec (snappy block format, then the protobuf WriteRequest, read field by
 * field here rather than by the code under test) and answers what `answer`
 * says for each request, 204 by default.
 */
export interface RemoteWriteReceiver {
  url: string;
  samples: ReceivedSample[];
  requests: { at: number; status: number; headers: http.IncomingHttpHeaders }[];
  answer: (n: number) => { status: number; headers?: Record<string, string> };
  close(): Promise<void>;
}

function* fields(buf: Uint8Array): Generator<{ field: number; wire: number; bytes: Uint8Array; n: number }> {
  let at = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++]!;
      n += (b & 127) * mul;
      mul *= 128;
      if (b < 128) return n;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) yield { field, wire, bytes: new Uint8Array(0), n: varint() };
    else if (wire === 1) {
      yield { field, wire, bytes: buf.subarray(at, at + 8), n: 0 };
      at += 8;
    } else if (wire === 2) {
      const len = varint();
      yield { field, wire, bytes: buf.subarray(at, at + len), n: 0 };
      at += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

export function decodeWriteRequest(body: Uint8Array): ReceivedSample[] {
  const out: ReceivedSample[] = [];
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  for (const ts of fields(uncompress(body))) {
    if (ts.field !== 1) continue;
    const labels: [string, string][] = [];
    const samples: { ts: number; value: number }[] = [];
    for (const f of fields(ts.bytes)) {
      if (f.field === 1) {
        let name = '';
        let value = '';
        for (const l of fields(f.bytes)) {
          if (l.field === 1) name = text(l.bytes);
          if (l.field === 2) value = text(l.bytes);
        }
        labels.push([name, value]);
      } else if (f.field === 2) {
        const s = { ts: 0, value: 0 };
        for (const x of fields(f.bytes)) {
          if (x.field === 1) s.value = Buffer.from(x.bytes).readDoubleLE(0);
          if (x.field === 2) s.ts = x.n;
        }
        samples.push(s);
      }
    }
    for (const s of samples) out.push({ labels, ...s });
  }
  return out;
}

export async function startRemoteWriteReceiver(): Promise<RemoteWriteReceiver> {
  const r: RemoteWriteReceiver = {
    url: '',
    samples: [],
    requests: [],
    answer: () => ({ status: 204 }),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = r.answer(r.requests.length);
      r.requests.push({ at: Date.now(), status: a.status, headers: req.headers });
      if (a.status >= 200 && a.status < 300) r.samples.push(...decodeWriteRequest(Buffer.concat(chunks)));
      res.writeHead(a.status, a.headers).end(a.status >= 300 ? `status ${a.status}` : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`;
  r.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}
