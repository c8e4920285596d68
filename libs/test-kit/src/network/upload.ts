import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type { ImageDto, ProductCode } from '@rpi-deploy/contracts';

export interface UploadProgress {
  /** Bytes of the multipart body sent so far. */
  sent: number;
  total: number;
}

export interface FileUpload {
  url: string;
  token: string;
  fields: Record<string, string>;
  filePath: string;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * POSTs a file as multipart/form-data, as the dashboard and `rpi-deploy image upload` do: the text
 * fields first (the server refuses a bad upload before the bytes flow), then the file streamed
 * from disk, with an exact Content-Length (the server checks free space and shows progress
 * against it). Resolves with the status and the body, parsed when it is JSON.
 */
export async function uploadFile(upload: FileUpload): Promise<{ status: number; body: unknown }> {
  const file = await openAsBlob(upload.filePath);
  const fileName = basename(upload.filePath);
  const form = multipartForm(upload.fields, file, fileName);
  const headers = { authorization: `Bearer ${upload.token}`, accept: 'application/json' };
  const response = upload.onProgress
    ? await fetch(upload.url, {
        method: 'POST',
        ...(await countedBody(form, { ...upload, fileName, fileSize: file.size }, upload.onProgress, headers)),
      })
    : await fetch(upload.url, { method: 'POST', headers, body: form });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * Uploads an image through the management API and, with `activate`, makes it the active image of
 * its product. Fails with the server's answer when it refuses either. Resolves with the image as
 * the server last described it.
 */
export async function uploadImage(
  management: string,
  token: string,
  image: { filePath: string; product: ProductCode; version: string; activate?: boolean },
): Promise<ImageDto> {
  const { filePath, product, version } = image;
  const upload = await uploadFile({ url: `${management}/api/images`, token, fields: { product, version }, filePath });
  if (upload.status !== 201)
    throw new Error(`uploading ${filePath} failed: ${upload.status} ${JSON.stringify(upload.body)}`);
  const stored = upload.body as ImageDto;
  if (!image.activate) return stored;
  const activation = await fetch(`${management}/api/images/${stored.id}/activate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  if (!activation.ok)
    throw new Error(`activating image ${stored.id} failed: ${activation.status} ${await activation.text()}`);
  return (await activation.json()) as ImageDto;
}

function multipartForm(fields: Record<string, string>, file: Blob, fileName: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', file, fileName);
  return form;
}

/**
 * The encoded form through a byte counter. fetch gives a FormData body its length but streams
 * another body without one (chunked), so the length is set here: the same form around an empty
 * file, plus the file's size (the encoder's boundaries are all of one length).
 */
async function countedBody(
  form: FormData,
  upload: { fields: Record<string, string>; fileName: string; fileSize: number },
  onProgress: (progress: UploadProgress) => void,
  headers: Record<string, string>,
): Promise<RequestInit> {
  const encoded = new Response(form);
  const empty = await new Response(multipartForm(upload.fields, new Blob([]), upload.fileName)).arrayBuffer();
  const total = empty.byteLength + upload.fileSize;
  let sent = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      sent += chunk.byteLength;
      out.enqueue(chunk);
      onProgress({ sent, total });
    },
  });
  return {
    headers: { ...headers, 'content-type': encoded.headers.get('content-type')!, 'content-length': String(total) },
    body: encoded.body!.pipeThrough(counter),
    duplex: 'half',
  } as RequestInit;
}
