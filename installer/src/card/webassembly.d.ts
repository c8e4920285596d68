/**
 * The one part of the WebAssembly JS API the installer uses (aligned-memory.ts). Node has it at run
 * time, but neither @types/node 20 nor the ES libraries declare it.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
}
