/** One agent session's newest batch sequence number, as a commit carries it (CommitBatch.seqs). */
export type SeqRow = [agentId: string, session: string, seq: number];

/**
 * The newest sequence number of each agent session, for one commit. Found by
 * agent id, whose string the session hands in every time, so a batch costs a
 * lookup and no new key; an agent's second session in the same commit (a
 * restarted agent) goes by a joined key beside it. Each session's row is
 * kept in the shape the commit sends, so a commit takes them as they are.
 */
export class AgentSeqs {
  private readonly byAgent = new Map<string, SeqRow>();
  private readonly otherSessions = new Map<string, SeqRow>();

  get size(): number {
    return this.byAgent.size + this.otherSessions.size;
  }

  get(agentId: string, session: string): number | undefined {
    const row = this.byAgent.get(agentId);
    if (row !== undefined && row[1] === session) return row[2];
    return this.otherSessions.get(joinedKey(agentId, session))?.[2];
  }

  set(agentId: string, session: string, seq: number): void {
    const row = this.byAgent.get(agentId);
    if (row === undefined) this.byAgent.set(agentId, [agentId, session, seq]);
    else if (row[1] === session) row[2] = seq;
    else {
      const key = joinedKey(agentId, session);
      const other = this.otherSessions.get(key);
      if (other !== undefined) other[2] = seq;
      else this.otherSessions.set(key, [agentId, session, seq]);
    }
  }

  /** Every session's row, once each. */
  rows(): SeqRow[] {
    return [...this.byAgent.values(), ...this.otherSessions.values()];
  }
}

function joinedKey(agentId: string, session: string): string {
  return `${agentId}\u0000${session}`;
}
