/** Acks that may go out in one window of ACK_WINDOW_MS: 8 000 a second, a fleet of 16 000 agents acked every 2 s. */
export const ACKS_PER_WINDOW = 80;
/** The pacer's window: 80 acks are about 2 ms of socket writes in 10 ms. */
export const ACK_WINDOW_MS = 10;

/**
 * Sends the agents' acks at a bounded rate, in the order they came due.
 *
 * Each session spaces its acks by ACK_INTERVAL_MS from the last one it sent,
 * so sessions whose acks went out together come due together again, and a
 * turn of the event loop that runs late gathers more: left alone, a fleet's
 * acks ended up in a few bursts every 2 s (at 1 000 agents, three quarters of
 * the acks in 2 % of the 10 ms stretches, up to 760 within 50 ms), each one
 * uninterrupted stretch of socket writes the agents' frames waited behind.
 * Past a window's budget an ack waits for a later window; since the session's
 * next spacing is counted from when it went out, a burst that was spread stays
 * spread.
 */
export class AckPacer {
  private readonly waiting: (((ticket: number) => boolean) | undefined)[] = [];
  /** Each waiting send's ticket, at the same place: a session's one send function serves all its acks. */
  private readonly tickets: number[] = [];
  private head = 0;
  private windowStart = -Infinity;
  private sentInWindow = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly perWindow = ACKS_PER_WINDOW,
    private readonly windowMs = ACK_WINDOW_MS,
  ) {}

  /** Acks waiting for a later window. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Calls `send(ticket)` now if the current window's budget allows and none wait, else after those waiting.
   * `send` says whether it sent: an ack taken back meanwhile (its connection closed, its session replaced)
   * costs no budget.
   */
  submit(send: (ticket: number) => boolean, ticket = 0): void {
    if (this.length === 0) {
      const now = performance.now();
      if (now - this.windowStart >= this.windowMs) {
        this.windowStart = now;
        this.sentInWindow = 0;
      }
      if (this.sentInWindow < this.perWindow) {
        if (send(ticket)) this.sentInWindow++;
        return;
      }
    }
    this.waiting.push(send);
    this.tickets.push(ticket);
    this.arm(this.windowStart + this.windowMs - performance.now());
  }

  private arm(ms: number): void {
    // Unref'd: acks waiting for their window never hold a stopping process open (close() sends them at once).
    this.timer ??= setTimeout(this.drain, ms).unref();
  }

  /** A new window: its budget goes to the acks that wait, oldest first. */
  private readonly drain = (): void => {
    this.timer = null;
    this.windowStart = performance.now();
    this.sentInWindow = 0;
    try {
      while (this.length > 0 && this.sentInWindow < this.perWindow) {
        const send = this.waiting[this.head]!;
        const ticket = this.tickets[this.head]!;
        this.waiting[this.head++] = undefined;
        if (send(ticket)) this.sentInWindow++;
      }
    } finally {
      // Even if a send threw, the acks behind it still get their windows.
      if (this.length === 0) {
        this.waiting.length = 0;
        this.tickets.length = 0;
        this.head = 0;
      } else {
        if (this.head > 4096) {
          this.waiting.splice(0, this.head);
          this.tickets.splice(0, this.head);
          this.head = 0;
        }
        this.arm(this.windowMs);
      }
    }
  };
}
