/** Acks that may go out between two check phases of the event loop (about 5 ms of socket writes). */
export const ACKS_PER_TURN = 200;

/**
 * Sends the agents' acks a bounded number per turn of the event loop, in
 * the order they came due.
 *
 * Each session spaces its acks by ACK_INTERVAL_MS from the last one it sent,
 * so sessions whose acks went out in the same turn come due again in the same
 * turn, and a turn that runs late gathers more: left alone, a fleet's acks
 * ended up in a few bursts every 2 s (at 1 000 agents, three quarters of the
 * acks in 2 % of the 10 ms stretches, up to 760 within 50 ms), each one
 * uninterrupted stretch of socket writes the agents' frames waited behind.
 * Past the budget an ack waits for the next turn; since the next spacing is
 * counted from when it went out, a burst that was cut stays spread.
 */
export class AckPacer {
  private readonly waiting: ((() => void) | undefined)[] = [];
  private head = 0;
  private sentThisTurn = 0;
  private checkScheduled = false;

  constructor(private readonly perTurn = ACKS_PER_TURN) {}

  /** Acks waiting for a later turn. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /**
   * Calls `send` now if this turn's budget allows, else in a later turn after those waiting (acks wait only
   * while the budget is spent: a check sends waiting ones until it is).
   */
  submit(send: () => void): void {
    this.scheduleCheck();
    if (this.sentThisTurn < this.perTurn) {
      this.sentThisTurn++;
      return send();
    }
    this.waiting.push(send);
  }

  private scheduleCheck(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(this.check);
  }

  /** The check phase ends a turn: a fresh budget, spent first on the acks that wait. */
  private readonly check = (): void => {
    this.checkScheduled = false;
    this.sentThisTurn = 0;
    while (this.length > 0 && this.sentThisTurn < this.perTurn) {
      const send = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      this.sentThisTurn++;
      send();
    }
    if (this.length === 0) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    // Acks sent here count against the next turn too: the budget opens again at the next check.
    if (this.sentThisTurn > 0) this.scheduleCheck();
  };
}
