import { Controller, Get, Head, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { relative } from 'node:path';
import { AppConfig } from '../../config/app-config';
import { DeploymentRoute } from '../../listeners/deployment-route.decorator';
import { ChunkCatalogue } from '../chunks/chunk-catalogue';
import { CHUNK_DIGEST, ChunkStore, PATCH_FILE } from '../chunks/chunk-store';
import { DownloadPool } from './download-pool';
import { ImageTraffic } from './image-traffic';
import { sendInTurn, ServerAdmission } from './server-admission';
import { clientOf, DownloadLeases } from '../store/download-leases';
import { serveFromStore } from './serve-from-store';
import { access } from 'node:fs/promises';
import { serveFile } from './serve-file';

/** A chunk never changes under its name: caches may keep it for a year without asking. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CHUNK_FILE = /^([0-9a-f]{64})\.zst$/;

/** The chunk store's zstd frames for the Pis (`<chunkBaseUrl>/<sha256>.zst`), on the deployment listener. */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('chunks')
export class ChunkFilesController {
  constructor(
    private readonly chunks: ChunkCatalogue,
    private readonly store: ChunkStore,
    private readonly pool: DownloadPool,
    private readonly config: AppConfig,
    private readonly traffic: ImageTraffic,
    private readonly admission: ServerAdmission,
    private readonly leases: DownloadLeases,
  ) {}

  @Get(':file')
  @ApiOperation({
    summary:
      'A chunk (<sha256>.zst): the zstd frame of the bytes with that SHA-256; or a patch ' +
      '(<sha256>.from-<base>.zst): the frame of those bytes with chunk <base> as its dictionary. Range supported',
  })
  @ApiOkResponse({ description: 'The frame; 206 for a range' })
  get(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  @Head(':file')
  head(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  private async send(file: string, request: Request, response: Response): Promise<void> {
    // Only digests the store records: no path ever comes from the URL.
    const path = await this.storedPath(file);
    if (!path) throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    const draw = request.method === 'GET' ? 'chunk' : null;
    return sendInTurn(this.admission, draw, request, response, () => this.deliver(file, path, request, response));
  }

  private async deliver(file: string, path: string, request: Request, response: Response): Promise<void> {
    await this.leases.extend(clientOf(request));
    const remote = this.store.shared.remote;
    // S3: this host's copy (it cut the chunk) when it has one, else the bucket's.
    if (remote && !(await exists(path))) {
      const served = { etag: file.replace(/\.zst$/, ''), contentType: 'application/zstd', cacheControl: IMMUTABLE };
      const key = this.store.keyOf(path);
      this.traffic.served(
        'chunk',
        await serveFromStore(request, response, remote, key, served, this.store.shared.publicDownloads),
      );
      return;
    }
    const accel = this.config.images.chunksAccelRedirectPrefix;
    if (accel) {
      // nginx sends the frame (sendfile, ranges) from its internal location; it keeps these two headers.
      response.setHeader('Content-Type', 'application/zstd');
      response.setHeader('Cache-Control', IMMUTABLE);
      response.setHeader('X-Accel-Redirect', `${accel}${relative(this.store.folder, path)}`);
      response.end();
      return;
    }
    const served = {
      path,
      etag: file.replace(/\.zst$/, ''),
      contentType: 'application/zstd',
      cacheControl: IMMUTABLE,
    };
    const sent = await serveFile(request, response, served, this.pool).catch((error: NodeJS.ErrnoException) => {
      // Freed between the lookup and the read.
      if (error.code === 'ENOENT' && !response.headersSent)
        throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
      throw error;
    });
    this.traffic.served('chunk', sent);
  }

  /** The file of a recorded chunk or patch frame by its served name, else undefined. */
  private async storedPath(file: string): Promise<string | undefined> {
    const patch = PATCH_FILE.exec(file);
    if (patch) {
      const [, sha256, base] = patch;
      return (await this.chunks.isPatchStored(sha256, base)) ? this.store.patchPath(sha256, base) : undefined;
    }
    const sha256 = CHUNK_FILE.exec(file)?.[1];
    if (!sha256 || !CHUNK_DIGEST.test(sha256) || !(await this.chunks.isStored(sha256))) return undefined;
    return this.store.chunkPath(sha256);
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
