import { Controller, Get, Head, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { DeploymentRoute } from '../../listeners/deployment-route.decorator';
import { DownloadPool } from './download-pool';
import { STORED_IMAGE_NAME } from '../image-store';
import { ImagesService } from '../images.service';
import { serveFile, type ServedFile } from './serve-file';

/** The image bytes and block maps for the Pis, on the deployment listener. */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('images')
export class ImageFilesController {
  constructor(
    private readonly images: ImagesService,
    private readonly config: AppConfig,
    private readonly pool: DownloadPool,
  ) {}

  @Get(':file')
  @ApiOperation({ summary: 'Image bytes (<name>.img) or its block map (<name>.img.bmap); Range supported' })
  @ApiOkResponse({ description: 'The bytes; 206 for a range' })
  get(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  @Head(':file')
  head(@Param('file') file: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.send(file, request, response);
  }

  private async send(file: string, request: Request, response: Response): Promise<void> {
    const isBmap = file.endsWith('.bmap');
    const filename = isBmap ? file.slice(0, -'.bmap'.length) : file;
    // Only names the server generated, and only of images it knows: no path ever comes from the URL.
    const image = STORED_IMAGE_NAME.test(filename) ? await this.images.byFilename(filename) : null;
    if (!image) throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    const served: ServedFile = isBmap
      ? { path: this.images.bmapPath(image), etag: image.bmapSha256, contentType: 'application/xml' }
      : { path: this.images.filePath(image), etag: image.sha256, contentType: 'application/octet-stream' };
    const accel = this.config.images.accelRedirectPrefix;
    if (accel) {
      // nginx sends the bytes (sendfile, ranges) from its internal location; we did the lookup.
      response.setHeader('Content-Type', served.contentType);
      response.setHeader('X-Accel-Redirect', `${accel}${file}`);
      response.end();
      return;
    }
    await serveFile(request, response, served, this.pool).catch((error: NodeJS.ErrnoException) => {
      // Deleted between the lookup and the read.
      if (error.code === 'ENOENT' && !response.headersSent)
        throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
      throw error;
    });
  }
}
