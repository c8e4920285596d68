import type {
  PeerFaultReport,
  PeerHoldingsAnswer,
  PeerHoldingsReport,
  PeerSourcesAnswer,
  PeerSourcesRequest,
} from '@rpi-deploy/contracts';
import { errorMessage, postJson } from '../download/http-client';

const TIMEOUT_MS = 5_000;

/** The server's tracker routes (`/api/peers/...`), with the deployment's status token. */
export class TrackerClient {
  constructor(
    private readonly server: string,
    private readonly deploymentId: string,
    private readonly statusToken: string,
  ) {}

  holdings(report: Omit<PeerHoldingsReport, 'deploymentId'>): Promise<PeerHoldingsAnswer> {
    return this.post('holdings', report);
  }

  sources(request: Omit<PeerSourcesRequest, 'deploymentId'>): Promise<PeerSourcesAnswer> {
    return this.post('sources', request);
  }

  fault(report: Omit<PeerFaultReport, 'deploymentId'>): Promise<unknown> {
    return this.post('faults', report);
  }

  private async post<T>(route: string, body: object): Promise<T> {
    const response = await postJson(
      `${this.server}/api/peers/${route}`,
      { deploymentId: this.deploymentId, ...body },
      { headers: { authorization: `Bearer ${this.statusToken}` }, timeoutMs: TIMEOUT_MS },
    );
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${errorMessage(response)}`);
    return JSON.parse(response.body.toString('utf8')) as T;
  }
}
