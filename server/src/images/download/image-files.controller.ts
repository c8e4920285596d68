import { Controller, Get, Head, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ChunkManifest } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { DeploymentListener } from '../../listeners/deployment-listener';
import { DeploymentRoute } from '../../listeners/deployment-route.decorator';
import { ChunkCatalogue } from '../chunks/chunk-catalogue';
import { DownloadPool } from './download-pool';
import { ImageTraffic } from './image-traffic';
import { ImageStore, STORED_IMAGE_NAME } from '../image-store';
import { clientOf, DownloadLeases } from '../store/download-leases';
import { serveFromStore } from './serve-from-store';
import type { Image } from '../image.entity';
import { ImagesService } from '../images.service';
import { sendInTurn, ServerAdmission } from './server-admission';
import { serveFile, type ServedFile } from './serve-file';

const MANIFEST_SUFFIX = '.chunks';

/** The image bytes, block maps and chunk manifests for the Pis, on the deployment listener. */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('images')
export class ImageFilesController {
  constructor(
    private readonly images: ImagesService,
    private readonly config: AppConfig,
    private readonly pool: DownloadPool,
    private readonly chunks: ChunkCatalogue,
    private readonly listener: DeploymentListener,
    private readonly traffic: ImageTraffic,
    private readonly admission: ServerAdmission,
    private readonly store: ImageStore,
    private readonly leases: DownloadLeases,
  ) {}

  @Get(':file')
  @ApiOperation({
    summary:
      'Image bytes (<name>.img, Range supported), its block map (<name>.img.bmap) or its chunk manifest (<name>.img.chunks)',
  })
  @ApiOkResponse({ description: 'The bytes; 206 for a range' })
  get(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  @Head(':file')
  head(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  private async send(file: string, request: Request, response: Response): Promise<void> {
    if (file.endsWith(MANIFEST_SUFFIX))
      return this.sendManifest(file.slice(0, -MANIFEST_SUFFIX.length), request, response);
    const isBmap = file.endsWith('.bmap');
    const filename = isBmap ? file.slice(0, -'.bmap'.length) : file;
    // Only names the server generated, and only of images it knows: no path ever comes from the URL.
    const image = STORED_IMAGE_NAME.test(filename) ? await this.images.byFilename(filename) : null;
    if (!image || !(await this.leases.hold(image, clientOf(request)))) {
      throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    }
    const draw = request.method === 'GET' && !isBmap ? 'image' : null;
    return sendInTurn(this.admission, draw, request, response, () => this.deliver(image, file, request, response));
  }

  private async deliver(image: Image, file: string, request: Request, response: Response): Promise<void> {
    const isBmap = file.endsWith('.bmap');
    const filename = isBmap ? file.slice(0, -'.bmap'.length) : file;
    const served: ServedFile = isBmap
      ? { path: this.images.bmapPath(image), etag: image.bmapSha256, contentType: 'application/xml' }
      : { path: this.images.filePath(image), etag: image.sha256, contentType: 'application/octet-stream' };
    const remote = this.store.shared.remote;
    if (remote) {
      const key = isBmap ? this.store.bmapKey(filename) : this.store.imageKey(filename);
      const sent = await serveFromStore(request, response, remote, key, served, this.store.shared.publicDownloads);
      this.traffic.served(isBmap ? 'block_map' : 'image', sent);
      return;
    }
    const accel = this.config.images.accelRedirectPrefix;
    if (accel) {
      // nginx sends the bytes (sendfile, ranges) from its internal location; we did the lookup.
      response.setHeader('Content-Type', served.contentType);
      response.setHeader('X-Accel-Redirect', `${accel}${file}`);
      response.end();
      return;
    }
    const sent = await serveFile(request, response, served, this.pool).catch((error: NodeJS.ErrnoException) => {
      // Deleted between the lookup and the read.
      if (error.code === 'ENOENT' && !response.headersSent)
        throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
      throw error;
    });
    this.traffic.served(isBmap ? 'block_map' : 'image', sent);
  }

  /** The chunk manifest of a chunked image; 404 for one stored before the chunk store (served the old way). */
  private async sendManifest(filename: string, request: Request, response: Response): Promise<void> {
    const image = STORED_IMAGE_NAME.test(filename) ? await this.images.byFilename(filename) : null;
    if (!image || image.chunkCount === null || !(await this.leases.hold(image, clientOf(request)))) {
      throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    }
    const manifest: ChunkManifest = {
      format: 'rpi-deploy-chunks/1',
      imageSize: image.size,
      imageSha256: image.sha256,
      compression: 'zstd',
      chunkBaseUrl: `${this.listener.publicUrl()}/chunks`,
      chunks: await this.chunks.chunksOf(image.id),
    };
    const body = JSON.stringify(manifest);
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', String(Buffer.byteLength(body)));
    response.setHeader('Cache-Control', 'no-cache');
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
