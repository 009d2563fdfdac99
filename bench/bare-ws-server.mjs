// A WebSocket server that does nothing with agents' frames but count them, holding a ballast of live heap
// objects (--ballast-mb, default 400: about what Tidemark's main thread holds at 11 000 hosts). It answers the
// load generator's hello with a welcome (bench/ingest-load.mjs waits for one) and never acks. Started by
// bench/gc-triggers.mjs --target bare-ws, so that V8's major-GC triggers can be seen without Tidemark's code:
// what reading the sockets alone costs. READS `shared` reads every connection into Tidemark's shared read buffer
// (dist/server/socket-reads.js, as the server's agent endpoint does); `node` (the default) as Node reads a socket.
// Usage: node [V8 flags] bench/bare-ws-server.mjs PORT [BALLAST_MB] [READS]
import { WebSocketServer } from 'ws';
import { readIntoSharedBuffer } from '../dist/server/socket-reads.js';

const port = Number(process.argv[2]);
const ballastMB = Number(process.argv[3] ?? 400);
const reads = process.argv[4] ?? 'node';
if (reads !== 'node' && reads !== 'shared') throw new Error(`READS is node or shared, not ${reads}`);
/** Live objects of ~150 bytes each on the heap (an object, a string and an inner object), never touched again. */
const ballast = [];
for (let i = 0; i < (ballastMB * 1e6) / 150; i++) ballast.push({ i, s: `ballast ${i}`, o: { i } });
globalThis.ballast = ballast;

let frames = 0;
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => {
  if (reads === 'shared' && !readIntoSharedBuffer(ws)) throw new Error('this Node has no shared read buffer');
  ws.on('message', (data, isBinary) => {
    frames++;
    if (!isBinary && data.toString().includes('"type":"hello"')) ws.send('{"type":"welcome"}');
  });
});
wss.on('listening', () => console.log(`listening ${port}`));
setInterval(() => console.log(`frames ${frames}`), 1000).unref();
