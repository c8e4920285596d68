/**
 * O_DIRECT transfers need memory aligned to the device's logical block (512 bytes on an SD
 * card, 4096 on some disks and file systems). Node's Buffers come from malloc and are not
 * aligned, but WebAssembly memory is mapped by V8 in whole pages, so views of it are.
 */
export const DIRECT_ALIGNMENT = 4096;

const WASM_PAGE = 64 * 1024;

/**
 * One page-aligned memory cut into `count` buffers of `size` bytes (a multiple of 4096); `shared`
 * when another thread reads it (the hashing threads read the card reader's windows in place).
 */
export class AlignedMemory {
  readonly memory: ArrayBuffer | SharedArrayBuffer;
  readonly buffers: Buffer[];

  constructor(
    count: number,
    readonly size: number,
    options: { shared?: boolean } = {},
  ) {
    if (size % DIRECT_ALIGNMENT !== 0)
      throw new Error(`aligned buffers must be a multiple of ${DIRECT_ALIGNMENT} bytes`);
    const pages = Math.ceil((count * size) / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: options.shared ?? false }).buffer;
    this.buffers = Array.from({ length: count }, (_, index) => Buffer.from(this.memory, index * size, size));
  }
}

/** Whether a transfer of `length` bytes at `position` of the card, into or from the start of an aligned buffer, may use O_DIRECT. */
export function isDirectAligned(position: number, length: number): boolean {
  return position % DIRECT_ALIGNMENT === 0 && length % DIRECT_ALIGNMENT === 0;
}
