/**
 * A download worker: a child process of the server (see download-pool.ts) that is handed the
 * connection of a Pi together with the response head the server decided on, and sends the head
 * and the file's bytes itself, then closes the connection. Nothing else runs here, so the byte
 * stream neither waits for nor holds up the server's event loop, and it runs on another core.
 */
import { Socket, type SocketConstructorOpts } from 'node:net';
import { ChunkBuffers, sendFileRange } from './file-range-sender';
import type { DownloadDone, DownloadJob } from './download-messages';

const buffers = new ChunkBuffers();
/** A client that takes nothing for this long has gone away (the installer resumes on its own). */
const STALL_MS = 120_000;
const LINGER_MS = 10_000;
const GONE = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

async function send(job: DownloadJob, socket: Socket): Promise<DownloadDone> {
  // The request was read in full by the server; a client that half-closes still gets its bytes.
  socket.allowHalfOpen = true;
  socket.on('error', () => undefined); // reported through the failed write below
  socket.resume(); // discard anything more the client sends: this connection ends with the body
  socket.setTimeout(STALL_MS, () => socket.destroy());
  try {
    const bytes = await sendFileRange(socket, job.path, job.start, job.end, buffers, job.head);
    await new Promise<void>((resolve) => socket.end(resolve));
    // The client closes its side on its own once it has the body; one that does not, is closed.
    socket.setTimeout(LINGER_MS, () => socket.destroy());
    return { id: job.id, bytes };
  } catch (error) {
    // Deleted since the server looked it up: nothing was written yet, so say so.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') socket.end(GONE);
    else socket.destroy();
    return { id: job.id, error: (error as Error).message };
  }
}

process.on('message', (job: DownloadJob, handle?: object) => {
  if (!handle) return;
  // The connection's native TCP handle (see download-pool.ts), made a socket again here.
  const socket = new Socket({ handle, readable: true, writable: true } as SocketConstructorOpts);
  void send(job, socket).then((done) => process.send?.(done));
});
// The server is gone (or shutting down): so is every download it handed over.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
