import { BadRequestException, HttpException, HttpStatus, PayloadTooLargeException } from '@nestjs/common';
import { formatBytes } from '@rpi-deploy/contracts';
import { CorruptImage, UnsupportedCompression } from './compression';

/** Refusals of an upload, each saying what to do about it. */

export function tooLarge(maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `The upload is larger than the limit of ${formatBytes(maxBytes)}: raise IMAGE_UPLOAD_MAX_BYTES or compress the image`,
  );
}

export function noSpace(free: number, reserve: number): HttpException {
  return new HttpException(
    `Not enough free disk space for this image (${formatBytes(free)} free, ${formatBytes(reserve)} kept in reserve): ` +
      'delete old images or enlarge the data disk',
    HttpStatus.INSUFFICIENT_STORAGE,
  );
}

/** A failure anywhere in the pipeline as the answer the client gets (unknown ones stay 500s). */
export function asHttpError(error: unknown): unknown {
  if (error instanceof HttpException) return error;
  if (error instanceof UnsupportedCompression) return new BadRequestException(error.message);
  if (error instanceof CorruptImage)
    return new BadRequestException(`The compressed image is damaged: ${error.message}`);
  if (
    error instanceof Error &&
    /unexpected end|aborted|premature close|incorrect header|invalid/i.test(error.message)
  ) {
    return new BadRequestException(`The upload was cut short or damaged: ${error.message}`);
  }
  return error;
}
