import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface MultipartUpload {
  url: string;
  token: string;
  fields: Record<string, string>;
  filePath: string;
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * POSTs a file as multipart/form-data, streamed from disk with an exact Content-Length (the
 * text fields go first, so the server can refuse a bad upload before the bytes flow).
 * Resolves with the status and parsed JSON body.
 */
export async function uploadMultipart(upload: MultipartUpload): Promise<{ status: number; body: unknown }> {
  const boundary = `----rpi-deploy-${randomBytes(12).toString('hex')}`;
  const fieldParts = Object.entries(upload.fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const fileHeader =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(upload.filePath).replace(/"/g, '')}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  const head = Buffer.from(fieldParts.join('') + fileHeader);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const { size } = await stat(upload.filePath);
  const total = head.length + size + tail.length;

  const url = new URL(upload.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${upload.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': total,
        accept: 'application/json',
      },
    });
    let answered = false;
    // Once the server has answered, a reset of the rest of the upload is expected, not an error.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        // The server may answer (e.g. 409) before the whole file is sent: stop sending.
        answered = true;
        file.destroy();
        if (!request.writableFinished) request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });

    let sent = head.length;
    request.write(head);
    const file = createReadStream(upload.filePath, { highWaterMark: 1 << 20 });
    file.on('data', (chunk) => {
      sent += chunk.length;
      upload.onProgress?.({ sent, total });
      if (!request.write(chunk)) {
        file.pause();
        request.once('drain', () => file.resume());
      }
    });
    file.on('end', () => request.end(tail));
    file.on('error', (error) => request.destroy(error));
  });
}
