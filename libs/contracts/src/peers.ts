/**
 * Peers (issue 17): units serve the chunks they have verified to each other over HTTP
 * (`GET http://<peer>/chunks/<sha256>.zst`, the frame as the server stores it); the server's
 * tracker knows who holds what and suggests sources. All routes are on the deployment listener
 * with `Authorization: Bearer <statusToken>`.
 */

/** Default of the installer's `--peer-listen`. */
export const DEFAULT_PEER_LISTEN = '0.0.0.0:5003';
/** Default and cap of `--seed-seconds` / `deploy.seed-seconds`: how long a finished unit keeps serving. */
export const SEED_SECONDS = { default: 60, max: 600 } as const;
/** Most chunks one holdings report or one sources question may name. */
export const PEER_BATCH_MAX = 1024;
/** Most peers the tracker suggests for one chunk (the fetcher tries them in order, then the server). */
export const PEER_SOURCES_PER_CHUNK = 2;

/** `POST /api/peers/holdings`: the chunks this unit verified since its last report, and where it serves them. */
export interface PeerHoldingsReport {
  deploymentId: string;
  /** `ip:port` (`[ip]:port` for IPv6) the unit serves on: the IP must be the one it reaches the server from. */
  address: string;
  /** SHA-256 names of chunks it now holds (verified). */
  chunks: string[];
  /** Chunks it no longer holds (its card's bytes there changed, e.g. by personalisation). */
  dropped?: string[];
  /** The unit has written its whole image: it only seeds from now on. */
  finished?: boolean;
}

export interface PeerHoldingsAnswer {
  /** Units of the same image that still install and take chunks from peers: a finished unit seeds while > 0. */
  peersInstalling: number;
  /** The tracker did not know this unit (e.g. the server restarted): send every chunk held next time. */
  resend: boolean;
  /** The unit was dropped for serving a bad chunk: it should stop serving. */
  excluded: boolean;
}

/** `POST /api/peers/sources`: where to fetch these chunks. */
export interface PeerSourcesRequest {
  deploymentId: string;
  chunks: string[];
}

export interface PeerSourcesAnswer {
  /** Per chunk, peer base URLs (`http://ip:port`) to try in order; a chunk absent or empty: the server. */
  sources: Record<string, string[]>;
}

/** `POST /api/peers/faults`: a peer served a wrong or no answer; the tracker drops it. */
export interface PeerFaultReport {
  deploymentId: string;
  /** The peer's base URL as the tracker handed it out. */
  peer: string;
  sha256: string;
  /** What went wrong (wrong digest, 404, connection reset...), at most 300 characters. */
  problem: string;
}

export interface PeerFaultAnswer {
  received: true;
}
