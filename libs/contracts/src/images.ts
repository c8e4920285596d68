import type { ImageChunkStats, ImageConversionDto, ImageRecompressionDto } from './chunks';
import type { ImageCompression } from './deployments';
import type { ProductCode } from './products';

/** bmaptool's block size: maps and writers work in 4 KiB blocks. */
export const IMAGE_BLOCK_SIZE = 4096;

export interface PartitionDto {
  /** 1-based, as Linux names them (mmcblk0p1 = 1). */
  index: number;
  /** MBR type byte as two hex digits ("0c"), or the GPT type GUID. */
  type: string;
  /** Human name of the type, e.g. "FAT32 (LBA)", "Linux". */
  typeName: string;
  startBytes: number;
  sizeBytes: number;
  bootable: boolean;
}

export interface PartitionTableDto {
  scheme: 'mbr' | 'gpt' | 'none';
  partitions: PartitionDto[];
}

export interface ImageDto {
  id: number;
  product: ProductCode;
  version: string;
  description: string | null;
  /** Release notes, markdown (rendered without raw HTML). */
  notes: string | null;
  /** Server-generated name under /images/ on the deployment listener. */
  filename: string;
  /** Uncompressed size in bytes. */
  size: number;
  /** SHA-256 (hex) of the uncompressed image. */
  sha256: string;
  /** How the uploaded file was compressed (detected from its content). */
  uploadCompression: ImageCompression;
  uploadSize: number;
  /** Bytes in blocks that are not all zero: what a writer actually writes. */
  mappedBytes: number;
  partitionTable: PartitionTableDto;
  uploadedBy: string;
  uploadedAt: string;
  /** The serial of the unit whose card was captured as this image; null for an upload. */
  capturedFrom: string | null;
  active: boolean;
  activatedAt: string | null;
  /** What the chunk store holds for it; null for an image stored before the chunk store (served the old way). */
  chunks: ImageChunkStats | null;
  /** The latest conversion into chunks since the server started, if any (null otherwise). */
  conversion: ImageConversionDto | null;
  /** The latest background recompression of its (captured) chunks since the server started, if any. */
  recompression: ImageRecompressionDto | null;
}

export interface ImageUploadFields {
  product: ProductCode;
  version: string;
  description?: string;
}

/** Version strings: what people write (1.4.0, 2026.11-rc1), nothing a path could abuse. */
export const IMAGE_VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;
