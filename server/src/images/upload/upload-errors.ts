import { BadRequestException, HttpException, HttpStatus, PayloadTooLargeException } from '@nestjs/common';
import { formatBytes } from '@rpi-deploy/contracts';
import { CorruptImage, DECODER_MEMORY_LIMIT_BYTES, DecoderMemoryLimit, UnsupportedCompression } from './compression';

/** Refusals of an upload, each saying what to do about it. */

export function tooLarge(maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `The upload is larger than the limit of ${formatBytes(maxBytes)}: raise IMAGE_UPLOAD_MAX_BYTES or compress the image`,
  );
}

export function imageTooLarge(maxImageBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `The image unpacks to more than ${formatBytes(maxImageBytes)}: raise IMAGE_MAX_SIZE_BYTES or upload a smaller image`,
  );
}

/** What to recompress with so the stream's decoder fits DECODER_MEMORY_LIMIT_BYTES. */
const SMALLER_SETTINGS: Record<string, string> = {
  xz: 'a smaller dictionary (xz -9 or a lower preset, or --lzma2=dict=64MiB)',
  zstd: 'a smaller window (zstd -19 or lower, without --long above 27)',
};

function decoderMemoryLimit(error: DecoderMemoryLimit): BadRequestException {
  return new BadRequestException(
    `The ${error.command} image needs more than ${formatBytes(DECODER_MEMORY_LIMIT_BYTES)} of memory to unpack: ` +
      `recompress it with ${SMALLER_SETTINGS[error.command] ?? 'smaller settings'}`,
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
  if (error instanceof DecoderMemoryLimit) return decoderMemoryLimit(error);
  if (error instanceof CorruptImage)
    return new BadRequestException(`The compressed image is damaged: ${error.message}`);
  // gzip is unpacked in-process by zlib, whose errors carry a Z_* code (Z_DATA_ERROR, Z_BUF_ERROR).
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new BadRequestException(`The compressed image is damaged: gzip failed: ${String(message)}`);
  }
  if (
    error instanceof Error &&
    /unexpected end|aborted|premature close|incorrect header|invalid/i.test(error.message)
  ) {
    return new BadRequestException(`The upload was cut short or damaged: ${error.message}`);
  }
  return error;
}

/** What the dashboards are told about a failed upload: the message the client got. */
export function failureMessage(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    if (typeof message === 'string' || Array.isArray(message)) return [message].flat().join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
