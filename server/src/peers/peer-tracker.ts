import { PEER_SOURCES_PER_CHUNK } from '@rpi-deploy/contracts';
import { HolderSet } from './holder-set';

/** A unit that serves chunks: one per deployment. */
export interface PeerEntry {
  deploymentId: string;
  hostname: string;
  imageId: number;
  /** `http://ip:port`. */
  url: string;
  finished: boolean;
  lastSeen: number;
}

/** A peer that sends no holdings report (they come every few seconds) for this long is forgotten. */
export const PEER_SILENCE_MS = 30_000;
/** Suggestions handed to a peer in the current window: the least-loaded holder is suggested first. */
const LOAD_WINDOW_MS = 10_000;
/**
 * Holders of a chunk weighed per question, drawn at random: the least loaded of them are
 * suggested. Enough to spread the load (every holder is drawn now and then), without walking a
 * chunk's every holder for each of a question's chunks.
 */
const HOLDERS_WEIGHED = 8;

/**
 * Who holds which chunk, per image. Kept in memory on purpose: holdings are soft state that every
 * unit re-sends within seconds (its report carries what it verified since the last one, and a
 * restarted server answers the next report with `resend`), they change many times a second in a
 * busy fleet, and losing them costs only server bytes (units fall back to the server). This small
 * class is the one seam for issue 21 (several server instances): a shared store (e.g. a DB table
 * or Redis) goes behind the same four methods.
 */
export class PeerTracker {
  private readonly peers = new Map<string, PeerEntry & { chunks: Set<string>; load: number }>();
  /** imageId -> chunk -> deployment ids holding it. */
  private readonly holders = new Map<number, Map<string, HolderSet>>();
  /** Deployments dropped for a bad answer: never suggested again. */
  private readonly banned = new Set<string>();
  private loadWindow = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Records a report: `banned` (ignored), `new` (the tracker did not know the peer: after a server
   * restart its earlier holdings are lost, so it is asked to send them all again) or `known`.
   */
  report(peer: Omit<PeerEntry, 'lastSeen'>, chunks: string[], dropped: string[] = []): 'banned' | 'new' | 'known' {
    if (this.banned.has(peer.deploymentId)) return 'banned';
    const known = this.peers.get(peer.deploymentId);
    const entry = known ?? { ...peer, lastSeen: 0, chunks: new Set<string>(), load: 0 };
    Object.assign(entry, peer, { lastSeen: this.now() });
    this.peers.set(peer.deploymentId, entry);
    let byChunk = this.holders.get(peer.imageId);
    if (!byChunk) this.holders.set(peer.imageId, (byChunk = new Map()));
    for (const sha of chunks) {
      entry.chunks.add(sha);
      let set = byChunk.get(sha);
      if (!set) byChunk.set(sha, (set = new HolderSet()));
      set.add(peer.deploymentId);
    }
    for (const sha of dropped) {
      entry.chunks.delete(sha);
      const set = byChunk.get(sha);
      set?.delete(peer.deploymentId);
      if (set?.size === 0) byChunk.delete(sha);
    }
    return known ? 'known' : 'new';
  }

  /** Units of the image still installing (and heard from lately), the asking one aside. */
  installing(imageId: number, except: string): number {
    let count = 0;
    for (const peer of this.livePeers()) {
      if (peer.imageId === imageId && !peer.finished && peer.deploymentId !== except) count += 1;
    }
    return count;
  }

  /**
   * For each chunk, up to PEER_SOURCES_PER_CHUNK live holders other than the asker: the least
   * suggested (in the current window) of HOLDERS_WEIGHED drawn at random, so that a fresh chunk's
   * first holders are not all asked at once and the load spreads as chunks spread. Chunks nobody
   * else holds are left out: the server serves them.
   */
  sources(imageId: number, asker: string, chunks: string[]): Record<string, string[]> {
    this.rollWindow();
    const byChunk = this.holders.get(imageId);
    const answer: Record<string, string[]> = {};
    if (!byChunk) return answer;
    const cutoff = this.now() - PEER_SILENCE_MS;
    const live = (id: string) => {
      const peer = this.peers.get(id);
      return id !== asker && peer !== undefined && peer.lastSeen >= cutoff;
    };
    for (const sha of chunks) {
      const drawn = byChunk.get(sha)?.sample(HOLDERS_WEIGHED, live);
      if (!drawn?.length) continue;
      const best = drawn
        .map((id) => this.peers.get(id) as PeerEntry & { load: number })
        .sort((a, b) => a.load - b.load)
        .slice(0, PEER_SOURCES_PER_CHUNK);
      best[0].load += 1;
      answer[sha] = best.map((peer) => peer.url);
    }
    return answer;
  }

  /** The peer at `url` for this image, to name it in a fault report. */
  find(imageId: number, url: string): PeerEntry | undefined {
    for (const peer of this.peers.values()) if (peer.imageId === imageId && peer.url === url) return peer;
    return undefined;
  }

  /** Drops a peer that served a bad answer: its holdings go and it is never suggested again. */
  ban(deploymentId: string): void {
    this.banned.add(deploymentId);
    this.forget(deploymentId);
  }

  /** Drops a peer whose deployment ended or which went silent. */
  forget(deploymentId: string): void {
    const peer = this.peers.get(deploymentId);
    if (!peer) return;
    this.peers.delete(deploymentId);
    const byChunk = this.holders.get(peer.imageId);
    for (const sha of peer.chunks) {
      const set = byChunk?.get(sha);
      set?.delete(deploymentId);
      if (set?.size === 0) byChunk?.delete(sha);
    }
    if (byChunk?.size === 0) this.holders.delete(peer.imageId);
  }

  private *livePeers(): Iterable<PeerEntry> {
    const cutoff = this.now() - PEER_SILENCE_MS;
    for (const peer of [...this.peers.values()]) {
      if (peer.lastSeen >= cutoff) yield peer;
      else this.forget(peer.deploymentId);
    }
  }

  private rollWindow(): void {
    const window = Math.floor(this.now() / LOAD_WINDOW_MS);
    if (window === this.loadWindow) return;
    this.loadWindow = window;
    for (const peer of this.peers.values()) peer.load = 0;
  }
}
