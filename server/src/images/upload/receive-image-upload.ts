import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import busboy from 'busboy';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ImageUploadFieldsBody } from '../dto/image.dto';
import type { ChunkCutter } from '../chunks/chunk-cutter';
import type { ImageStore } from '../image-store';
import { unpackImageFile, type UnpackedImage, type UnpackLimits } from './unpack-image-file';
import { asHttpError, noSpace, tooLarge } from './upload-errors';
import type { UploadProgress } from './upload-progress';

export interface ReceivedImage extends UnpackedImage {
  fields: ImageUploadFieldsBody;
}

export interface UploadOptions extends UnpackLimits {
  /** Called once the text fields are known, before the file streams: may refuse (e.g. 409). */
  checkFields: (fields: ImageUploadFieldsBody) => Promise<void>;
  /** Called as the upload goes, as often as every chunk: the receiver throttles. */
  onProgress?: (progress: UploadProgress) => void;
  /** Where the mapped bytes go as chunks; the caller releases (and on failure frees) them. */
  chunks: ChunkCutter;
}

/**
 * Streams a multipart image upload straight through decompression into a sparse file while
 * describing it. Nothing is buffered beyond a few MiB; on any failure the partial file is
 * deleted and the error says what to do.
 */
export async function receiveImageUpload(
  request: Request,
  store: ImageStore,
  options: UploadOptions,
): Promise<ReceivedImage> {
  if (!request.is('multipart/form-data')) {
    throw new UnsupportedMediaTypeException('Send the image as multipart/form-data with a "file" part');
  }
  const uploadPath = store.newUploadPath();
  try {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > options.maxBytes) throw tooLarge(options.maxBytes);
    const free = await store.freeBytes();
    if (declared + options.diskReserveBytes > free) throw noSpace(free, options.diskReserveBytes);
    return await parse(request, store, options, uploadPath);
  } catch (error) {
    await rm(uploadPath, { force: true });
    discardRestOfBody(request);
    throw asHttpError(error);
  }
}

/** How long a refused upload may keep sending before its connection is cut. */
const DISCARD_GRACE_MS = 10_000;

/**
 * After a refusal the rest of the body is read and dropped, so the client gets to read the
 * answer and its keep-alive connection serves the next request (a body left unread would stall
 * it); a client that keeps sending gigabytes is cut off after a grace period.
 */
export function discardRestOfBody(request: IncomingMessage): void {
  if (request.complete) return;
  request.resume();
  setTimeout(() => {
    if (!request.complete) request.socket?.destroy();
  }, DISCARD_GRACE_MS).unref();
}

function parse(
  request: Request,
  store: ImageStore,
  options: UploadOptions,
  uploadPath: string,
): Promise<ReceivedImage> {
  const progress: UploadProgress = { receivedBytes: 0, imageBytes: 0 };
  const report = (change: Partial<UploadProgress>) => {
    Object.assign(progress, change);
    options.onProgress?.({ ...progress });
  };
  return new Promise<ReceivedImage>((resolve, reject) => {
    const raw: Record<string, string> = {};
    let file: Readable | undefined;
    let fileJob: Promise<UnpackedImage> | undefined;
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

    let form: busboy.Busboy;
    try {
      form = busboy({
        headers: request.headers,
        limits: { files: 1, fields: 10, fieldSize: 4096, fileSize: options.maxBytes },
      });
    } catch (error) {
      // busboy throws when the content type has no boundary (or is not one it parses).
      return reject(
        new BadRequestException(
          `Malformed multipart/form-data: ${(error as Error).message}; send it as multipart/form-data with a boundary`,
        ),
      );
    }
    form.on('field', (name, value) => {
      raw[name] = value;
    });
    form.on('file', (name, part) => {
      // A body that ends inside the part fails the part as well as the form. Without a listener that
      // error would take the whole process down; the form's 'error' below reports it.
      part.on('error', () => undefined);
      if (name !== 'file') {
        part.resume();
        return fail(new BadRequestException(`Unexpected file part "${name}": name the image part "file"`));
      }
      file = part;
      // Fields sent before the file are checked now, so a bad upload stops before gigabytes flow.
      const early =
        raw['product'] !== undefined && raw['version'] !== undefined ? checkedFields(raw, options) : undefined;
      fileJob = (early ?? Promise.resolve(undefined)).then((checked) => {
        fields = checked;
        if (checked) report({ fields: checked });
        return unpackImageFile(part, uploadPath, store, options.chunks, options, {
          received: (receivedBytes) => report({ receivedBytes }),
          unpacked: (imageBytes) => report({ imageBytes }),
        });
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
        .then(async (file) => resolve({ ...file, fields: fields ?? (await checkedFields(raw, options)) }))
        .catch(fail);
    });
    request.on('aborted', () => fail(new BadRequestException('The upload was interrupted')));
    request.pipe(form);
  });
}

async function checkedFields(raw: Record<string, string>, options: UploadOptions): Promise<ImageUploadFieldsBody> {
  const fields = plainToInstance(ImageUploadFieldsBody, raw);
  const errors = await validate(fields, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new BadRequestException(errors.flatMap((error) => Object.values(error.constraints ?? {})));
  }
  await options.checkFields(fields);
  return fields;
}
