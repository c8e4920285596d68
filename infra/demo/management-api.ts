/** The few management-API calls the demo makes, as the dashboard or `rpi-deploy` would make them. */
import type {
  BatchDto,
  CreateBatchRequest,
  CreateVenueRequest,
  DeploymentPage,
  ImageDto,
  KartImportRequest,
  KartImportResult,
  LoginResponse,
  ProductCode,
  VenueDto,
} from '@rpi-deploy/contracts';
import { uploadFile, type UploadProgress } from '@rpi-deploy/test-kit';

export class ManagementApi {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<ManagementApi> {
    const response = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) throw new Error(`login as ${username} failed: ${response.status} ${await response.text()}`);
    const { accessToken } = (await response.json()) as LoginResponse;
    return new ManagementApi(baseUrl, accessToken);
  }

  createVenue(venue: CreateVenueRequest): Promise<VenueDto> {
    return this.call('POST', '/api/venues', venue);
  }

  importKarts(venue: string, karts: KartImportRequest): Promise<KartImportResult> {
    return this.call('POST', `/api/venues/${venue}/karts`, karts);
  }

  async uploadImage(
    file: string,
    fields: { product: ProductCode; version: string; description: string },
    onProgress?: (progress: UploadProgress) => void,
  ): Promise<ImageDto> {
    const { status, body } = await uploadFile({
      url: `${this.baseUrl}/api/images`,
      token: this.token,
      fields,
      filePath: file,
      onProgress,
    });
    if (status !== 201) throw new Error(`image upload failed: ${status} ${JSON.stringify(body)}`);
    return body as ImageDto;
  }

  activateImage(id: number): Promise<ImageDto> {
    return this.call('POST', `/api/images/${id}/activate`);
  }

  createBatch(batch: CreateBatchRequest): Promise<BatchDto> {
    return this.call('POST', '/api/batches', batch);
  }

  startBatch(id: number): Promise<BatchDto> {
    return this.call('POST', `/api/batches/${id}/start`);
  }

  deployments(venue: string): Promise<DeploymentPage> {
    return this.call('GET', `/api/deployments?venue=${venue}&pageSize=500`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} failed: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }
}
