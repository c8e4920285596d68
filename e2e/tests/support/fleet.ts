import { expect, type APIRequestContext } from '@playwright/test';
import {
  QUEUE_POSITION_HEADER,
  UNIT_HEADER,
  type ConfigResponse,
  type ImageDto,
  type ProductCode,
  type StatusReport,
} from '@rpi-deploy/contracts';
import { E2E_DEPLOY_URL } from '../../playwright.config';
import { bearer, type ApiSession } from './session';
import { tinyDiskImage } from './tiny-image';

/** A unit talking to the deployment listener the way the installer on a Pi does. */
export class SimulatedUnit {
  config: ConfigResponse | null = null;

  constructor(
    private readonly request: APIRequestContext,
    readonly serial: string,
    readonly mac: string,
    private readonly deployUrl = E2E_DEPLOY_URL,
  ) {}

  async askForConfig(body: { product?: ProductCode; venue?: string } = {}): Promise<ConfigResponse> {
    const response = await this.request.post(`${this.deployUrl}/api/config`, {
      data: { serial: this.serial, mac: this.mac, model: 'Raspberry Pi 5 Model B', ...body },
    });
    expect(response.status(), await response.text()).toBe(200);
    this.config = (await response.json()) as ConfigResponse;
    return this.config;
  }

  async report(report: Omit<StatusReport, 'deploymentId'>): Promise<void> {
    const config = this.config;
    if (!config) throw new Error('askForConfig first');
    const response = await this.request.post(`${this.deployUrl}/api/status`, {
      headers: { Authorization: `Bearer ${config.statusToken}` },
      data: { deploymentId: config.deploymentId, ...report },
    });
    expect(response.status(), await response.text()).toBe(200);
  }

  /**
   * Asks for its image as the installer does (naming itself): the server sends it (the unit now
   * holds one of its transfer slots) or puts it in line (503, Retry-After, its place in line).
   */
  async fetchImage(): Promise<{ admitted: true } | { admitted: false; position: number }> {
    const config = this.config;
    if (!config) throw new Error('askForConfig first');
    const response = await this.request.get(config.image.url, { headers: { [UNIT_HEADER]: config.deploymentId } });
    if (response.status() === 200) return { admitted: true };
    expect(response.status(), await response.text()).toBe(503);
    expect(Number(response.headers()['retry-after'])).toBeGreaterThanOrEqual(1);
    return { admitted: false, position: Number(response.headers()[QUEUE_POSITION_HEADER]) };
  }

  /** Posts to the peer tracker with this unit's token (`holdings`, `sources`, `faults`). */
  async peers(route: 'holdings' | 'sources' | 'faults', body: object): Promise<unknown> {
    const config = this.config;
    if (!config) throw new Error('askForConfig first');
    const response = await this.request.post(`${this.deployUrl}/api/peers/${route}`, {
      headers: { Authorization: `Bearer ${config.statusToken}` },
      data: { deploymentId: config.deploymentId, ...body },
    });
    expect(response.status(), await response.text()).toBe(200);
    return response.json();
  }

  /** Reports the rest of an install, so the unit ends as a success and frees its slot or place in line. */
  async finish(): Promise<void> {
    await this.report({ status: 'downloading', progress: 70 });
    await this.report({ status: 'verifying', progress: 80 });
    await this.report({ status: 'customizing', progress: 95 });
    await this.report({ status: 'success', progress: 100 });
  }
}

/** 16 hex digits, unique per call, like a Pi 5 board serial. */
export function uniqueSerial(index: number): string {
  return `${Date.now().toString(16).padStart(12, '0')}${index.toString(16).padStart(4, '0')}`.slice(-16);
}

export function uniqueMac(index: number): string {
  const bytes = [0xd8, 0x3a, 0xdd, (Date.now() >> 8) & 0xff, Date.now() & 0xff, index & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Sets up through the API what a test takes for granted: a venue with karts and an active image. */
export async function prepareVenueWithImage(
  request: APIRequestContext,
  session: ApiSession,
  venue: string,
  product: ProductCode = 'KXP2',
): Promise<ImageDto> {
  const headers = bearer(session);
  const created = await request.post('/api/venues', { headers, data: { code: venue, name: `Track ${venue}` } });
  expect(created.status(), await created.text()).toBe(201);
  const karts = await request.post(`/api/venues/${venue}/karts`, { headers, data: { from: 1, to: 30 } });
  expect(karts.status(), await karts.text()).toBe(200);
  const upload = await request.post('/api/images', {
    headers,
    multipart: {
      product,
      version: `e2e-${venue}-${Date.now()}`,
      file: { name: 'tiny.img', mimeType: 'application/octet-stream', buffer: tinyDiskImage() },
    },
  });
  expect(upload.status(), await upload.text()).toBe(201);
  const image = (await upload.json()) as ImageDto;
  const activated = await request.post(`/api/images/${image.id}/activate`, { headers });
  expect(activated.status(), await activated.text()).toBe(200);
  return image;
}
