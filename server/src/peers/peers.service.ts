import { ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import {
  TERMINAL_DEPLOYMENT_STATUSES,
  type PeerFaultAnswer,
  type PeerHoldingsAnswer,
  type PeerSourcesAnswer,
} from '@rpi-deploy/contracts';
import { DeploymentEvent } from '../deployments/deployment-event.entity';
import { Deployment } from '../deployments/deployment.entity';
import { tokenMatches } from '../deployments/status-token';
import { peerUrl } from './peer-address';
import type { PeerFaultBody, PeerHoldingsBody, PeerSourcesBody } from './peer-dtos';
import { PeerTracker } from './peer-tracker';

/**
 * How long a deployment row looked up for a tracker request serves the next ones: a unit asks
 * about once a second, and 200 units would otherwise cost a database query each time. What the
 * tracker reads of it (image, token, hostname) never changes; an end it learns up to this late
 * only keeps a finished unit's holdings a few seconds longer.
 */
const LOOKUP_FRESH_MS = 5_000;

/** The tracker's routes: every question comes from a running deployment holding its status token. */
@Injectable()
export class PeersService {
  readonly tracker = new PeerTracker();
  private readonly lookups = new Map<string, { deployment: Deployment; at: number }>();

  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    @InjectRepository(DeploymentEvent) private readonly events: Repository<DeploymentEvent>,
  ) {}

  async holdings(body: PeerHoldingsBody, token: string | undefined, ip: string | null): Promise<PeerHoldingsAnswer> {
    const deployment = await this.authorised(body.deploymentId, token);
    const url = peerUrl(body.address, ip);
    const imageId = deployment.imageId as number;
    if (TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status) && deployment.status !== 'success') {
      this.tracker.forget(deployment.id);
      return { peersInstalling: 0, resend: false, excluded: false };
    }
    const outcome = this.tracker.report(
      { deploymentId: deployment.id, hostname: deployment.hostname, imageId, url, finished: body.finished ?? false },
      body.chunks,
      body.dropped ?? [],
    );
    return {
      peersInstalling: this.tracker.installing(imageId, deployment.id),
      resend: outcome === 'new',
      excluded: outcome === 'banned',
    };
  }

  async sources(body: PeerSourcesBody, token: string | undefined): Promise<PeerSourcesAnswer> {
    const deployment = await this.authorised(body.deploymentId, token);
    return { sources: this.tracker.sources(deployment.imageId as number, deployment.id, body.chunks) };
  }

  /**
   * A unit got a wrong answer (or none) from a peer: the peer is dropped for good and an event
   * `peer_fault` goes on both deployments' timelines, naming the unit that served and the chunk.
   */
  async fault(body: PeerFaultBody, token: string | undefined): Promise<PeerFaultAnswer> {
    const deployment = await this.authorised(body.deploymentId, token);
    const peer = this.tracker.find(deployment.imageId as number, body.peer);
    if (peer) this.tracker.ban(peer.deploymentId);
    const served = peer ? `${peer.hostname} (${body.peer})` : `the peer at ${body.peer}`;
    const message = `${served} served chunk ${body.sha256} to ${deployment.hostname}: ${body.problem}; peer dropped`;
    const culprit = peer ? await this.deployments.findOne({ where: { id: peer.deploymentId } }) : null;
    const rows = [deployment, ...(culprit ? [culprit] : [])].map((row) =>
      Object.assign(new DeploymentEvent(), {
        deploymentId: row.id,
        kind: 'peer_fault',
        status: row.status,
        progress: null,
        bytesDone: null,
        bytesTotal: null,
        message: message.slice(0, 500),
        error: null,
      } satisfies Omit<DeploymentEvent, 'id' | 'createdAt'>),
    );
    await this.events.save(rows);
    return { received: true };
  }

  private async authorised(deploymentId: string, token: string | undefined): Promise<Deployment> {
    if (!token)
      throw new UnauthorizedException('Send the statusToken from /api/config as Authorization: Bearer <token>');
    const deployment = await this.lookUp(deploymentId);
    if (!deployment) throw new NotFoundException(`No deployment ${deploymentId}`);
    if (!tokenMatches(token, deployment.tokenHash))
      throw new ForbiddenException('This token belongs to another deployment');
    if (deployment.imageId === null) throw new NotFoundException(`Deployment ${deploymentId} has no image`);
    return deployment;
  }

  /** The deployment's row, from the last second's lookups when there is one (stale ones are dropped as they go). */
  private async lookUp(deploymentId: string): Promise<Deployment | null> {
    const now = Date.now();
    const recent = this.lookups.get(deploymentId);
    if (recent && now - recent.at < LOOKUP_FRESH_MS) return recent.deployment;
    for (const [id, entry] of this.lookups) if (now - entry.at >= LOOKUP_FRESH_MS) this.lookups.delete(id);
    const deployment = await this.deployments.findOne({ where: { id: deploymentId } });
    if (deployment) this.lookups.set(deploymentId, { deployment, at: now });
    return deployment;
  }
}
