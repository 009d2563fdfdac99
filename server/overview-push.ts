/**
 * What the overview's periodic push carries: the tiles whose content changed
 * since the last push, and, for the tiles that changed only by their
 * sparkline, just the new points. Every host's sparkline bucket closes in the
 * same second; sending 5 000 whole tiles for it made that push the largest
 * and the browser's busiest second.
 */
import { SPARK_BUCKET_MS, type HostTile, type OverviewFrame, type SparkPoints } from '../shared/overview.js';

/**
 * A tile's identity for change detection: what a tile shows except lastSeen
 * (it moves every second; the verdict says when an agent went silent) and the
 * sparkline and its disk (they travel as points). An array of the fields, not
 * a copy of the tile: this runs for every host on every push.
 */
function tileKey(tile: HostTile): string {
  return JSON.stringify([tile.hostname, tile.connected, tile.health, tile.reason, tile.sets, tile.reasons]);
}

interface Pushed {
  key: string;
  sparkEnd: number;
  disk: string | null;
}

export class OverviewPush {
  /** Each host's tile as last pushed. */
  private readonly pushed = new Map<string, Pushed>();

  /** Takes a full frame's tiles as what the watchers have. */
  baseline(tiles: HostTile[]): void {
    for (const t of tiles) this.remember(t);
  }

  clear(): void {
    this.pushed.clear();
  }

  /** The push for `tiles` (every host's current tile, in any order), or null when nothing changed. */
  next(tiles: HostTile[], now: number): OverviewFrame | null {
    const changed: HostTile[] = [];
    let spark: SparkPoints | null = null;
    for (const tile of tiles) {
      const key = tileKey(tile);
      const was = this.pushed.get(tile.id);
      const fresh = was ? Math.round((tile.sparkEnd - was.sparkEnd) / SPARK_BUCKET_MS) : 0;
      // New, changed, or with a sparkline that ends elsewhere than the frame's points: the tile travels whole.
      if (!was || was.key !== key || (fresh > 0 && spark && spark.end !== 0 && spark.end !== tile.sparkEnd)) {
        changed.push(tile);
        this.remember(tile, key);
        continue;
      }
      const diskMoved = tile.worstDisk !== was.disk;
      if (fresh <= 0 && !diskMoved) continue;
      spark ??= { end: 0, ids: [], counts: [], values: [] };
      if (fresh > 0) {
        spark.end = tile.sparkEnd;
        const count = Math.min(fresh, tile.spark.length);
        spark.ids.push(tile.id);
        spark.counts.push(count);
        for (let i = tile.spark.length - count; i < tile.spark.length; i++) spark.values.push(tile.spark[i]!);
      }
      if (diskMoved) (spark.disks ??= {})[tile.id] = tile.worstDisk;
      this.remember(tile, key);
    }
    if (changed.length === 0 && spark === null) return null;
    return { type: 'overview', now, tiles: changed, partial: true, ...(spark ? { spark } : {}) };
  }

  private remember(tile: HostTile, key = tileKey(tile)): void {
    this.pushed.set(tile.id, { key, sparkEnd: tile.sparkEnd, disk: tile.worstDisk });
  }
}
