import {
  MongoClient,
  MongoServerError,
  MongoTopologyClosedError,
  type Document,
  type MongoClientOptions,
} from 'mongodb';

/** mongodb://user:secret@host → mongodb://***@host, for logs and the dashboard. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]+@/, '$1***@');
}

/** Error codes of a server that is not (yet) a replica-set member: NoReplicationEnabled, NotYetInitialized. */
const NOT_A_REPLSET = new Set([76, 94]);

/**
 * A connection to one mongod through the official driver. The driver
 * reconnects by itself; every call has a deadline so a hung mongod becomes an
 * error, never a stuck agent. Credentials and TLS options stay in the URI and
 * options passed here: they are never logged or sent to the Tidemark server.
 */
export class MongodSource {
  private client: MongoClient;

  constructor(
    readonly uri: string,
    private readonly options: MongoClientOptions = {},
  ) {
    this.client = this.newClient();
  }

  /** `selectionMs`: how long its first call (which connects it) may wait for mongod. */
  private newClient(selectionMs = 2000): MongoClient {
    return new MongoClient(this.uri, {
      directConnection: true,
      serverSelectionTimeoutMS: Math.min(2000, selectionMs),
      connectTimeoutMS: 2000,
      socketTimeoutMS: 5000,
      appName: 'tidemark-agent',
      maxPoolSize: 2,
      ...this.options,
    });
  }

  /**
   * `op` on the client. A client whose first connection failed (the agent started while mongod was down) keeps
   * a closed topology and fails every later call with "Topology is closed", however long mongod has been back:
   * it is replaced by a new one and the call made once more, connecting within the call's deadline (a call's
   * `timeoutMS` does not bound the connection a first call makes).
   */
  private async use<T>(timeoutMs: number, op: (client: MongoClient) => Promise<T>): Promise<T> {
    const used = this.client;
    try {
      return await op(used);
    } catch (err) {
      if (!(err instanceof MongoTopologyClosedError)) throw err;
      // Only the client that failed is replaced: another call may have replaced it already.
      if (this.client === used) {
        void used.close(true).catch(() => {});
        this.client = this.newClient(timeoutMs);
      }
      return await op(this.client);
    }
  }

  private command(cmd: Document, timeoutMs: number): Promise<Document> {
    return this.use(timeoutMs, (c) => c.db('admin').command(cmd, { timeoutMS: timeoutMs }));
  }

  serverStatus(timeoutMs = 2000): Promise<Document> {
    return this.command({ serverStatus: 1 }, timeoutMs);
  }

  /** The options the process runs with: `{argv, parsed}`. */
  getCmdLineOpts(timeoutMs = 2000): Promise<Document> {
    return this.command({ getCmdLineOpts: 1 }, timeoutMs);
  }

  /** The first and last oplog entries (`ts` only), for the oplog window; null when there is no oplog. */
  async oplogEnds(timeoutMs = 2000): Promise<{ first: Document | null; last: Document | null } | null> {
    const end = (natural: 1 | -1) =>
      this.use(timeoutMs, (c) =>
        c
          .db('local')
          .collection('oplog.rs')
          .find({}, { sort: { $natural: natural }, limit: 1, projection: { ts: 1 }, timeoutMS: timeoutMs })
          .next(),
      );
    try {
      return { first: await end(1), last: await end(-1) };
    } catch (err) {
      if (err instanceof MongoServerError && NOT_A_REPLSET.has(Number(err.code))) return null;
      throw err;
    }
  }

  /** A replica-set command; null when this mongod is not part of a replica set. */
  private async replsetCommand(
    name: 'replSetGetStatus' | 'replSetGetConfig',
    timeoutMs: number,
  ): Promise<Document | null> {
    try {
      return await this.command({ [name]: 1 }, timeoutMs);
    } catch (err) {
      if (err instanceof MongoServerError && NOT_A_REPLSET.has(Number(err.code))) return null;
      throw err;
    }
  }

  replSetGetStatus(timeoutMs = 2000): Promise<Document | null> {
    return this.replsetCommand('replSetGetStatus', timeoutMs);
  }

  replSetGetConfig(timeoutMs = 2000): Promise<Document | null> {
    return this.replsetCommand('replSetGetConfig', timeoutMs);
  }

  async close(): Promise<void> {
    await this.client.close(true).catch(() => {});
  }
}
