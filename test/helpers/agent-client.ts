import WebSocket from 'ws';

export interface ServerReply {
  type: string;
  seq?: number;
  lastSeq?: number;
  code?: string;
  message?: string;
}

/**
 * A hand-driven protocol-1 agent over a real WebSocket: it keeps every batch
 * until acknowledged and, after a reconnect, replays from the welcome's
 * lastSeq — the promise the real agent keeps, with every step visible to a test.
 */
export class TestAgent {
  ws: WebSocket | null = null;
  acked = 0;
  readonly replies: ServerReply[] = [];
  private readonly sent = new Map<number, string>();
  private nextSeq = 1;

  constructor(
    private readonly url: string,
    private readonly token: string,
    readonly agentId = 'h1',
    readonly session = 's1',
  ) {}

  async connect(): Promise<void> {
    const ws = new WebSocket(this.url, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as ServerReply;
      this.replies.push(m);
      if (m.type === 'ack' && m.seq! > this.acked) this.acked = m.seq!;
      if (m.type === 'welcome') {
        this.acked = Math.max(this.acked, m.lastSeq!);
        for (const [seq, frame] of [...this.sent].sort((a, b) => a[0] - b[0])) if (seq > m.lastSeq!) ws.send(frame);
      }
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agentId: this.agentId,
        session: this.session,
        hostname: this.agentId,
        agentVersion: 'test',
        inventory: null,
      }),
    );
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends the next batch: one disk_util_percent sample for device sda. Returns its seq. */
  send(ts: number, value: number): number {
    const seq = this.nextSeq++;
    const frame = JSON.stringify({
      type: 'batch',
      seq,
      ts,
      samples: [{ m: 'disk_util_percent', l: { device: 'sda' }, v: value }],
    });
    this.sent.set(seq, frame);
    if (this.open) this.ws!.send(frame);
    return seq;
  }

  get lastSent(): number {
    return this.nextSeq - 1;
  }

  close(): void {
    this.ws?.terminate();
  }
}
