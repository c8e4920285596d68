import {
  BadRequestException,
  HttpException,
  HttpStatus,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import busboy from 'busboy';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { open, rm } from 'node:fs/promises';
import { pipeline as connect, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageCompression } from '@rpi-deploy/contracts';
import {
  CorruptImage,
  decompressor,
  detectCompression,
  MAGIC_BYTES_NEEDED,
  UnsupportedCompression,
} from './compression';
import { ImageUploadFieldsBody } from '../dto/image.dto';
import type { ImageStore } from '../image-store';
import { SparseImageWriter, type ImageDescription } from './sparse-image-writer';

export interface ReceivedImage {
  fields: ImageUploadFieldsBody;
  uploadPath: string;
  uploadSize: number;
  compression: ImageCompression;
  description: ImageDescription;
}

/** Filled in as the upload goes, for live progress. */
export interface UploadProgress {
  receivedBytes: number;
  imageBytes: number;
  fields?: ImageUploadFieldsBody;
}

export interface UploadLimits {
  maxBytes: number;
  diskReserveBytes: number;
  /** Called once the text fields are known, before the file streams: may refuse (e.g. 409). */
  checkFields: (fields: ImageUploadFieldsBody) => Promise<void>;
}

/**
 * Streams a multipart image upload straight through decompression into a sparse file while
 * describing it. Nothing is buffered beyond a few MiB; on any failure the partial file is
 * deleted and the error says what to do.
 */
export async function receiveImageUpload(
  request: Request,
  store: ImageStore,
  limits: UploadLimits,
  progress: UploadProgress = { receivedBytes: 0, imageBytes: 0 },
): Promise<ReceivedImage> {
  if (!request.is('multipart/form-data')) {
    throw new UnsupportedMediaTypeException('Send the image as multipart/form-data with a "file" part');
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const free = await store.freeBytes();
  if (declared + limits.diskReserveBytes > free) throw noSpace(free, limits.diskReserveBytes);

  const uploadPath = store.newUploadPath();
  try {
    return await parse(request, store, limits, uploadPath, progress);
  } catch (error) {
    await rm(uploadPath, { force: true });
    discardRestOfBody(request);
    throw asHttpError(error);
  }
}

/** How long a refused upload may keep sending before its connection is cut. */
const DISCARD_GRACE_MS = 10_000;

/**
 * After a refusal Node reads and drops the rest of the body, so the client gets to read the
 * answer; a client that keeps sending gigabytes is cut off after a grace period.
 */
function discardRestOfBody(request: Request): void {
  if (request.complete) return;
  setTimeout(() => {
    if (!request.complete) request.socket.destroy();
  }, DISCARD_GRACE_MS).unref();
}

function parse(
  request: Request,
  store: ImageStore,
  limits: UploadLimits,
  uploadPath: string,
  progress: UploadProgress,
): Promise<ReceivedImage> {
  return new Promise<ReceivedImage>((resolve, reject) => {
    const raw: Record<string, string> = {};
    let file: Readable | undefined;
    let fileJob: Promise<Omit<ReceivedImage, 'fields'>> | undefined;
    let fields: ImageUploadFieldsBody | undefined;
    // The file part is ended too (a client that went away never ends it), and the refusal waits
    // until the file job has closed the upload file: the caller then deletes it, and nothing is left
    // open or written afterwards.
    const fail = (error: unknown) => {
      request.unpipe(form);
      file?.destroy();
      void Promise.resolve(fileJob)
        .catch(() => undefined)
        .finally(() => reject(error));
    };

    const form = busboy({
      headers: request.headers,
      limits: { files: 1, fields: 10, fieldSize: 4096, fileSize: limits.maxBytes },
    });
    form.on('field', (name, value) => {
      raw[name] = value;
    });
    form.on('file', (name, part) => {
      if (name !== 'file') {
        part.resume();
        return fail(new BadRequestException(`Unexpected file part "${name}": name the image part "file"`));
      }
      file = part;
      // Fields sent before the file are checked now, so a bad upload stops before gigabytes flow.
      const early =
        raw['product'] !== undefined && raw['version'] !== undefined ? checkedFields(raw, limits) : undefined;
      fileJob = (early ?? Promise.resolve(undefined)).then((checked) => {
        fields = progress.fields = checked;
        return receiveFile(part, store, limits, uploadPath, progress);
      });
      fileJob.catch((error) => {
        part.resume();
        fail(error);
      });
    });
    form.on('filesLimit', () => fail(new BadRequestException('Send exactly one file part')));
    form.on('error', (error: Error) =>
      fail(new BadRequestException(`The upload was cut short or malformed: ${error.message}`)),
    );
    form.on('close', () => {
      if (!fileJob) return fail(new BadRequestException('No image: send it in a multipart part named "file"'));
      fileJob
        .then(async (file) => resolve({ ...file, fields: fields ?? (await checkedFields(raw, limits)) }))
        .catch(fail);
    });
    request.on('aborted', () => fail(new BadRequestException('The upload was interrupted')));
    request.pipe(form);
  });
}

async function checkedFields(raw: Record<string, string>, limits: UploadLimits): Promise<ImageUploadFieldsBody> {
  const fields = plainToInstance(ImageUploadFieldsBody, raw);
  const errors = await validate(fields, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new BadRequestException(errors.flatMap((error) => Object.values(error.constraints ?? {})));
  }
  await limits.checkFields(fields);
  return fields;
}

async function receiveFile(
  file: Readable & { truncated?: boolean },
  store: ImageStore,
  limits: UploadLimits,
  uploadPath: string,
  progress: UploadProgress,
): Promise<Omit<ReceivedImage, 'fields'>> {
  let uploadSize = 0;
  let limitHit = false;
  file.on('limit', () => (limitHit = true));
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      uploadSize += chunk.length;
      progress.receivedBytes = uploadSize;
      callback(null, chunk);
    },
  });
  // Connected with pipeline, not pipe: a part destroyed because the upload failed ends the job
  // below with an error instead of leaving it waiting for data (and the upload file open) for ever.
  connect(file, counted, () => undefined); // a failure surfaces where `counted` is read
  const { head, stream } = await peek(counted, MAGIC_BYTES_NEEDED);
  const compression = detectCompression(head);

  const handle = await open(uploadPath, 'wx', 0o600);
  try {
    const writer = new SparseImageWriter(handle, async (imageBytes) => {
      progress.imageBytes = imageBytes;
      const free = await store.freeBytes();
      if (free < limits.diskReserveBytes) throw noSpace(free, limits.diskReserveBytes);
    });
    await pipeline(stream, decompressor(compression), writer);
    if (limitHit) throw tooLarge(limits.maxBytes);
    if (writer.result.size === 0) throw new BadRequestException('The image is empty');
    return { uploadPath, uploadSize, compression, description: writer.result };
  } finally {
    await handle.close();
  }
}

/** Reads the first `bytes` bytes and hands back a stream that still starts with them. */
async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const early: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    early.push(next.value as Buffer);
    length += (next.value as Buffer).length;
  }
  async function* replay() {
    yield* early;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { head: Buffer.concat(early).subarray(0, bytes), stream: Readable.from(replay(), { objectMode: false }) };
}

function tooLarge(maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(
    `The upload is larger than the limit of ${formatBytes(maxBytes)}: raise IMAGE_UPLOAD_MAX_BYTES or compress the image`,
  );
}

function noSpace(free: number, reserve: number): HttpException {
  return new HttpException(
    `Not enough free disk space for this image (${formatBytes(free)} free, ${formatBytes(reserve)} kept in reserve): ` +
      'delete old images or enlarge the data disk',
    HttpStatus.INSUFFICIENT_STORAGE,
  );
}

function asHttpError(error: unknown): unknown {
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

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
