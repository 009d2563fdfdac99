import net from 'node:net';
import { BSON, type Document } from 'bson';

/**
 * A small server that speaks MongoDB's wire protocol (OP_MSG, plus OP_QUERY
 * for legacy handshakes) so the official driver can talk to it, and answers
 * commands from recorded replies. It stands in for mongod, which cannot be
 * installed here; everything between the driver and the reply is real.
 */

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

export type Handler = (command: Document) => Document | Promise<Document>;

export interface FakeMongod {
  port: number;
  uri: string;
  /** Commands received, by name, in order. */
  received: string[];
  handlers: Map<string, Handler>;
  /** Stops listening and cuts every connection (mongod dying). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** The hello reply of a standalone server with the given wire version (21 = MongoDB 7.0). */
export function helloReply(maxWireVersion = 21): Document {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 1,
    minWireVersion: 0,
    maxWireVersion,
    readOnly: false,
    ok: 1,
  };
}

function frame(requestId: number, responseTo: number, opCode: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

function opMsgReply(requestId: number, responseTo: number, doc: Document): Buffer {
  const flags = Buffer.alloc(4);
  const section = Buffer.concat([Buffer.from([0]), Buffer.from(BSON.serialize(doc))]);
  return frame(requestId, responseTo, OP_MSG, Buffer.concat([flags, section]));
}

function opReply(requestId: number, responseTo: number, doc: Document): Buffer {
  const head = Buffer.alloc(20);
  head.writeInt32LE(0, 0); // responseFlags
  head.writeBigInt64LE(0n, 4); // cursorID
  head.writeInt32LE(0, 12); // startingFrom
  head.writeInt32LE(1, 16); // numberReturned
  return frame(requestId, responseTo, OP_REPLY, Buffer.concat([head, Buffer.from(BSON.serialize(doc))]));
}

/** The command document of an OP_MSG: the kind-0 body, with kind-1 sequences attached as arrays. */
function readOpMsg(body: Buffer): Document {
  let off = 4; // flagBits
  let command: Document = {};
  const flags = body.readUInt32LE(0);
  const end = flags & 1 ? body.length - 4 : body.length;
  while (off < end) {
    const kind = body[off]!;
    off += 1;
    if (kind === 0) {
      const size = body.readInt32LE(off);
      command = { ...BSON.deserialize(body.subarray(off, off + size)), ...command };
      off += size;
    } else {
      const size = body.readInt32LE(off);
      const seqEnd = off + size;
      let p = off + 4;
      const nul = body.indexOf(0, p);
      const id = body.toString('utf8', p, nul);
      p = nul + 1;
      const docs: Document[] = [];
      while (p < seqEnd) {
        const n = body.readInt32LE(p);
        docs.push(BSON.deserialize(body.subarray(p, p + n)));
        p += n;
      }
      command[id] = docs;
      off = seqEnd;
    }
  }
  return command;
}

function readOpQuery(body: Buffer): Document {
  const nul = body.indexOf(0, 4);
  const off = nul + 1 + 8;
  const size = body.readInt32LE(off);
  return BSON.deserialize(body.subarray(off, off + size));
}

export async function startFakeMongod(handlers: Record<string, Handler> = {}, port = 0): Promise<FakeMongod> {
  const map = new Map<string, Handler>(Object.entries(handlers));
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  let nextId = 1;
  let server: net.Server | null = null;

  const answer = async (command: Document): Promise<Document> => {
    const name = Object.keys(command)[0] ?? '';
    received.push(name);
    const key = name.toLowerCase();
    const h = map.get(name) ?? map.get(key);
    if (h) return h(command);
    if (key === 'hello' || key === 'ismaster') return helloReply();
    if (['ping', 'endsessions', 'buildinfo'].includes(key)) return { ok: 1 };
    return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
  };

  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    // One drain at a time: a message that arrives while a reply is being made waits its turn, so replies go in order.
    let draining = Promise.resolve();
    const drain = async () => {
      while (buf.length >= 16 && buf.length >= buf.readInt32LE(0)) {
        const len = buf.readInt32LE(0);
        const msg = buf.subarray(0, len);
        buf = buf.subarray(len);
        const requestId = msg.readInt32LE(4);
        const opCode = msg.readInt32LE(12);
        const body = msg.subarray(16);
        try {
          if (opCode === OP_MSG) {
            const reply = await answer(readOpMsg(body));
            if (!socket.destroyed) socket.write(opMsgReply(nextId++, requestId, reply));
          } else if (opCode === OP_QUERY) {
            const reply = await answer(readOpQuery(body));
            if (!socket.destroyed) socket.write(opReply(nextId++, requestId, reply));
          }
        } catch {
          socket.destroy();
        }
      }
    };
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      draining = draining.then(drain);
    });
  };

  const fake: FakeMongod = {
    port,
    uri: '',
    received,
    handlers: map,
    start: () =>
      new Promise((resolve, reject) => {
        server = net.createServer(onSocket);
        server.once('error', reject);
        server.listen(fake.port, '127.0.0.1', () => {
          fake.port = (server!.address() as net.AddressInfo).port;
          fake.uri = `mongodb://127.0.0.1:${fake.port}/?directConnection=true`;
          resolve();
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server) return resolve();
        server.close(() => resolve());
        server = null;
      }),
  };
  await fake.start();
  return fake;
}
