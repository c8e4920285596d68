import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import zlib from 'node:zlib';
import { PEER_BATCH_MAX, type ChunkManifest, type ImageChunk, type PeerHoldingsAnswer } from '@rpi-deploy/contracts';
import { sleep } from '../download/backoff';
import { readCardRange } from '../card/card-reader';
import { FrameCache } from './frame-cache';
import { PeerServer } from './peer-server';
import type { TrackerClient } from './tracker-client';

/** How often the unit tells the tracker what it verified since (and that it is still there). */
export const HOLDINGS_EVERY_MS = 2_000;
/** Sources asked for in one question: the chunk wanted now and those after it. */
const SOURCES_AHEAD = 64;
/** A suggestion older than this is asked for again: holdings change by the second. */
const SOURCES_FRESH_MS = 2_000;
/**
 * "Nobody holds it" goes stale sooner: in a fleet powered on at once a neighbour usually fetches
 * the chunk within moments, and a unit in the server's line waits for exactly that.
 */
const NO_SOURCES_FRESH_MS = 400;
/** Card reads and compressions for neighbours at once: the card's own install comes first. */
const SERVE_FROM_CARD_AT_ONCE = 2;

export interface PeerSessionOptions {
  listenHost: string;
  listenPort: number;
  cacheBytes: number;
}

type ZstdCompress = (data: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;

/**
 * This unit in the fleet: it serves the chunks it verified (hot ones from memory, older ones read
 * back from the card, checked against their name and compressed again), reports them to the
 * server's tracker, and asks the tracker where to fetch the chunks it lacks. Peers that answer
 * wrongly are dropped for the rest of the install and reported.
 */
export class PeerSession {
  /** Compressed bytes received from peers. */
  bytesFromPeers = 0;
  private readonly cache: FrameCache;
  private readonly held = new Set<string>();
  private pending: string[] = [];
  private dropped: string[] = [];
  private readonly bad = new Set<string>();
  private readonly suggestions = new Map<string, { at: number; peers: string[] }>();
  private readonly asking = new Map<string, Promise<void>>();
  private chunks = new Map<string, ImageChunk>();
  private wanted: string[] = [];
  private cardPath = '';
  private finished = false;
  private closed = false;
  private last: PeerHoldingsAnswer | undefined;
  private reporting: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private servingFromCard = 0;

  private constructor(
    private readonly server: PeerServer,
    private readonly address: string,
    private readonly tracker: TrackerClient,
    options: PeerSessionOptions,
    private readonly log: (line: string) => void,
  ) {
    this.cache = new FrameCache(options.cacheBytes);
    this.timer = setInterval(() => void this.report(), HOLDINGS_EVERY_MS);
  }

  /**
   * Listens on `--peer-listen` and advertises the local address of a connection to the server
   * (the address the neighbours reach this unit on, on the deployment network) with the port
   * actually bound. Undefined (and a console line) when either fails: the install goes on from the server.
   */
  static async start(
    serverUrl: string,
    tracker: TrackerClient,
    options: PeerSessionOptions,
    log: (line: string) => void,
  ): Promise<PeerSession | undefined> {
    let holder: PeerSession | undefined;
    try {
      const server = await PeerServer.start(options.listenHost, options.listenPort, (sha) => holder!.frame(sha), log);
      let local: string;
      try {
        local = await localAddressTowards(serverUrl);
      } catch (error) {
        await server.close();
        throw error;
      }
      const address = local.includes(':') ? `[${local}]:${server.port}` : `${local}:${server.port}`;
      holder = new PeerSession(server, address, tracker, options, log);
      // Registered at once: a finished neighbour seeds for this unit before it holds anything.
      await holder.report();
      log(`peers: serving verified chunks on ${options.listenHost}:${server.port}, advertised as ${address}`);
      return holder;
    } catch (error) {
      log(`peers: not sharing chunks (${(error as Error).message}); fetching from the server only`);
      return undefined;
    }
  }

  /** The image's chunks, the card they go to, and those this unit will fetch, in order. */
  attach(manifest: ChunkManifest, cardPath: string, wanted: string[]): void {
    this.chunks = new Map(manifest.chunks.map((chunk) => [chunk.sha256, chunk]));
    this.cardPath = cardPath;
    this.wanted = wanted;
  }

  /** A chunk verified (fetched with its frame, or found on the card); reported with the next batch. */
  hold(sha256: string, frame?: Buffer): void {
    if (frame) this.cache.set(sha256, frame);
    if (this.held.has(sha256)) return;
    this.held.add(sha256);
    this.pending.push(sha256);
  }

  /** Peers to try for a chunk, in order: the tracker's suggestion minus peers dropped here. */
  async sources(sha256: string): Promise<string[]> {
    const fresh = (entry = this.suggestions.get(sha256)) =>
      entry && Date.now() - entry.at < (entry.peers.length > 0 ? SOURCES_FRESH_MS : NO_SOURCES_FRESH_MS);
    if (!fresh()) await (this.asking.get(sha256) ?? this.ask(sha256));
    return (this.suggestions.get(sha256)?.peers ?? []).filter((peer) => !this.bad.has(peer));
  }

  /** A peer answered wrongly or broke off: never asked again by this unit, and reported to the server. */
  fault(peer: string, sha256: string, problem: string): void {
    this.bad.add(peer);
    this.log(`peers: ${peer} failed on chunk ${sha256} (${problem}); dropped, fetching elsewhere`);
    this.tracker
      .fault({ peer, sha256, problem: problem.slice(0, 300) })
      .catch((error: Error) => this.log(`peers: reporting ${peer} failed: ${error.message}`));
  }

  /**
   * After success: keeps serving, reporting itself finished, while units of the same image still
   * install, at most `seconds`.
   */
  async seed(seconds: number): Promise<void> {
    this.finished = true;
    const until = Date.now() + seconds * 1000;
    await this.report();
    while (Date.now() < until && (this.last?.peersInstalling ?? 0) > 0 && !this.closed) {
      this.log(`peers: seeding while ${this.last?.peersInstalling} other units install`);
      await sleep(Math.min(HOLDINGS_EVERY_MS, until - Date.now()));
      await this.report();
    }
  }

  /** Stops serving and withdraws everything held, so the tracker suggests this unit no more. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.server.close();
    await this.reporting;
    const held = [...this.held];
    for (let at = 0; at < held.length; at += PEER_BATCH_MAX) {
      const dropped = held.slice(at, at + PEER_BATCH_MAX);
      const leaving = this.tracker.holdings({ address: this.address, chunks: [], dropped, finished: true });
      if (
        !(await leaving.then(
          () => true,
          () => false,
        ))
      )
        break;
    }
  }

  private ask(sha256: string): Promise<void> {
    const from = Math.max(0, this.wanted.indexOf(sha256));
    const batch = [sha256, ...this.wanted.slice(from + 1, from + SOURCES_AHEAD)];
    const question = this.tracker.sources({ chunks: batch }).then(
      ({ sources }) => {
        const at = Date.now();
        for (const sha of batch) this.suggestions.set(sha, { at, peers: sources[sha] ?? [] });
      },
      (error: Error) => {
        this.log(`peers: asking the server for sources failed (${error.message}); fetching from the server`);
        this.suggestions.set(sha256, { at: Date.now(), peers: [] });
      },
    );
    const done = question.finally(() => batch.forEach((sha) => this.asking.delete(sha)));
    for (const sha of batch) this.asking.set(sha, done);
    return done;
  }

  /** One report at a time; what piled up goes in batches. The tracker's answer steers seeding. */
  private report(): Promise<void> {
    this.reporting ??= (async () => {
      do {
        const chunks = this.pending.splice(0, PEER_BATCH_MAX);
        const dropped = this.dropped.splice(0, PEER_BATCH_MAX);
        try {
          this.last = await this.tracker.holdings({ address: this.address, chunks, dropped, finished: this.finished });
        } catch (error) {
          this.pending.unshift(...chunks);
          this.dropped.unshift(...dropped);
          this.log(`peers: reporting held chunks failed: ${(error as Error).message}`);
          return;
        }
        if (this.last.resend) this.pending = [...this.held].filter((sha) => !chunks.includes(sha));
        if (this.last.excluded && !this.closed) {
          this.log('peers: the server excluded this unit from sharing; it stops serving');
          this.closed = true;
          clearInterval(this.timer);
          await this.server.close();
        }
      } while (this.pending.length > 0 && !this.closed);
    })().finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  /**
   * The frame to serve: from memory, else the card's bytes if they still are the chunk (the
   * held-back head and what personalisation changed are not) compressed again; else nothing (404).
   */
  private async frame(sha256: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(sha256);
    if (cached) return cached;
    const chunk = this.chunks.get(sha256);
    const compress = (zlib as unknown as { zstdCompress?: ZstdCompress }).zstdCompress;
    if (!chunk || !this.held.has(sha256) || !compress) return undefined;
    while (this.servingFromCard >= SERVE_FROM_CARD_AT_ONCE) await sleep(5);
    this.servingFromCard += 1;
    try {
      const data = await readCardRange(this.cardPath, chunk.offset, chunk.length);
      if (createHash('sha256').update(data).digest('hex') !== sha256) {
        // Personalisation (or the held-back head) changed these bytes: withdrawn with the next report.
        if (this.held.delete(sha256)) this.dropped.push(sha256);
        return undefined;
      }
      return await new Promise<Buffer>((resolve, reject) =>
        compress(data, (error, frame) => (error ? reject(error) : resolve(frame))),
      );
    } finally {
      this.servingFromCard -= 1;
    }
  }
}

/** The local IP of a TCP connection to the server: the address neighbours reach this unit on. */
function localAddressTowards(serverUrl: string): Promise<string> {
  const url = new URL(serverUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port, timeout: 5_000 });
    socket.once('connect', () => {
      const local = socket.localAddress;
      socket.destroy();
      if (local) resolve(local.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1'));
      else reject(new Error('no local address'));
    });
    socket.once('timeout', () => socket.destroy(new Error(`no connection to ${url.host} within 5 s`)));
    socket.once('error', reject);
  });
}
