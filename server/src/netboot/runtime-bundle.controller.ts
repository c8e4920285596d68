import { Controller, Get, Head, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { serveFile } from '../images/download/serve-file';
import { DeploymentRoute } from '../listeners/deployment-route.decorator';
import { RUNTIME_BUNDLE_NAME, RuntimeBundle, type RuntimeBundleFile } from './runtime-bundle';

/** The netboot runtime for the initramfs's first stage, on the deployment listener. */
@ApiTags('deployment')
@DeploymentRoute()
@Controller('netboot')
export class RuntimeBundleController {
  private readonly bundle: RuntimeBundle;

  constructor(config: AppConfig) {
    this.bundle = new RuntimeBundle(config.netboot.buildDir);
  }

  @Get(RUNTIME_BUNDLE_NAME)
  @ApiOperation({ summary: 'The netboot runtime (Node.js, installer, tools) as tar + zstd; Range supported' })
  @ApiOkResponse({ description: 'The bytes; 206 for a range; the ETag is the SHA-256' })
  @ApiNotFoundResponse({ description: 'Not built yet: run `npm run build:initramfs` on the server' })
  async get(@Req() request: Request, @Res() response: Response): Promise<void> {
    const bundle = await this.built();
    await serveFile(request, response, { path: bundle.path, etag: bundle.sha256, contentType: 'application/zstd' });
  }

  @Head(RUNTIME_BUNDLE_NAME)
  head(@Req() request: Request, @Res() response: Response): Promise<void> {
    return this.get(request, response);
  }

  @Get(`${RUNTIME_BUNDLE_NAME}.sha256`)
  @ApiOperation({ summary: 'The SHA-256 of the netboot runtime, in sha256sum format' })
  @ApiOkResponse({ description: '"<64 hex digits>  runtime.tar.zst"' })
  @ApiNotFoundResponse({ description: 'Not built yet' })
  async checksum(@Res() response: Response): Promise<void> {
    const bundle = await this.built();
    response.type('text/plain').setHeader('ETag', `"${bundle.sha256}"`);
    response.send(`${bundle.sha256}  ${RUNTIME_BUNDLE_NAME}\n`);
  }

  private async built(): Promise<RuntimeBundleFile> {
    const bundle = await this.bundle.current();
    if (!bundle) {
      throw new NotFoundException(
        `The netboot runtime (${RUNTIME_BUNDLE_NAME}) is not built: run \`npm run build:initramfs\` on the server ` +
          '(or point NETBOOT_BUILD_DIR at the folder that holds it)',
      );
    }
    return bundle;
  }
}
