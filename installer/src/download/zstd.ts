import zlib from 'node:zlib';

/** The first Node releases whose zlib decodes zstd (zlib.zstdDecompress): 22.15.0 and 23.8.0. */
export const NODE_ZSTD_SINCE = '22.15';

/**
 * Decodes one zstd frame into at most `maxBytes` bytes (a longer result is an error); a patch
 * frame needs the bytes it was compressed against as its `dictionary`.
 */
export type ZstdDecompress = (frame: Buffer, maxBytes: number, dictionary?: Buffer) => Promise<Buffer>;

type ZlibWithZstd = {
  zstdDecompress?: (
    frame: Buffer,
    options: { maxOutputLength: number; chunkSize: number; dictionary?: Buffer },
    callback: (error: Error | null, result: Buffer) => void,
  ) => void;
};

/**
 * Node's own zstd decoder, or undefined on a Node without one (the netboot runtime's Node 20).
 * Detected by the function itself, not by the version number: a backport counts too. It runs on
 * libuv's thread pool, beside the download and the card.
 */
export function nodeZstd(): ZstdDecompress | undefined {
  const decompress = (zlib as unknown as ZlibWithZstd).zstdDecompress;
  if (typeof decompress !== 'function') return undefined;
  return (frame, maxBytes, dictionary) =>
    new Promise((resolve, reject) =>
      decompress(
        frame,
        { maxOutputLength: maxBytes, chunkSize: outputPiece(maxBytes), ...(dictionary && { dictionary }) },
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    );
}

/**
 * zlib hands the result over in pieces of `chunkSize` (16 KiB by default) and joins them at the
 * end: a callback and a copy per piece cost more main-thread time than the decoding itself. A
 * chunk's length is known, so one piece a byte larger holds the whole result: a piece filled to
 * the last byte would make zlib allocate another and go back to the thread pool to find the end.
 */
function outputPiece(maxBytes: number): number {
  return Math.min(Math.max(maxBytes + 1, 64 * 1024), 8 * 1024 * 1024);
}
