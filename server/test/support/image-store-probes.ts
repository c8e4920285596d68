import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ImagesService } from '../../src/images/images.service';
import { ImageDownload } from '../../src/images/store/image-download.entity';

/** Runs the sweep that frees deleted images' bytes once no download holds them (every minute in the server). */
export function sweepReleasedImages(app: INestApplication): Promise<void> {
  return app.get(ImagesService).freeReleased();
}

/** Ends every download lease on an image at once, as if its downloads had stopped long ago. */
export async function expireDownloadLeases(app: INestApplication, imageId: number): Promise<void> {
  await app
    .get(DataSource)
    .getRepository(ImageDownload)
    .update({ imageId }, { expiresAt: new Date(Date.now() - 1000) });
}
