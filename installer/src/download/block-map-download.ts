import type { ImageDescriptor } from '@rpi-deploy/contracts';
import { parseBlockMap } from './block-map';
import type { ImageMap } from './image-map';
import { downloadSmallDocument, type DocumentRetry } from './small-document';
import { InstallError } from '../install-error';

/** Fetches and checks the image's block map; network errors, 5xx, 408 and 429 are retried like the download. */
export async function downloadBlockMap(
  image: ImageDescriptor & { bmapUrl: string },
  retry: DocumentRetry,
): Promise<ImageMap> {
  return downloadSmallDocument('block map', image.bmapUrl, retry, (body) => {
    const map = parseBlockMap(body.toString('utf8'));
    if (map.imageSize !== image.size) {
      throw new InstallError(`the block map is for an image of ${map.imageSize} bytes, the image has ${image.size}`);
    }
    return map;
  });
}
