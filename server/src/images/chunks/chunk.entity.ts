import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../../database/bigint-transformer';

/** A chunk file in DATA_DIR/chunks, kept while an image references it (ChunkCollector). */
@Entity({ name: 'chunks' })
export class Chunk {
  /** SHA-256 (hex) of the uncompressed bytes: the file is `<sha256>.zst`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  sha256!: string;

  /** Size of the zstd frame on disk. */
  @Column({ name: 'stored_size', type: 'bigint', transformer: bigintAsNumber })
  storedSize!: number;

  /** Uncompressed length, at most CHUNK_GRID_BYTES. */
  @Column({ type: 'integer' })
  length!: number;

  /** ImageChunk.probe; null for chunks stored before probes existed. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  probe!: string | null;

  /** zstd level of the frame; below CHUNK_ZSTD_LEVEL while it waits for ChunkRecompression. Null: stored at the store's level before levels were recorded. */
  @Column({ name: 'zstd_level', type: 'integer', nullable: true })
  zstdLevel!: number | null;
}

/** One line of an image's chunk manifest: bytes [offset, offset + length) are chunk `sha256`. */
@Entity({ name: 'image_chunks' })
@Index('IDX_image_chunks_sha256', ['sha256'])
export class ImageChunkRow {
  @PrimaryColumn({ name: 'image_id', type: 'integer' })
  imageId!: number;

  /** Byte offset in the image ("offset" is an SQL keyword). */
  @PrimaryColumn({ name: 'image_offset', type: 'bigint', transformer: bigintAsNumber })
  offset!: number;

  @Column({ type: 'integer' })
  length!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;
}

/**
 * A patch frame in DATA_DIR/chunks: chunk `sha256` compressed with chunk `base` as its dictionary,
 * for cards that hold `base` where `sha256` goes. Removed with its chunk; outlives its base, which
 * cards in the field may still hold after the server dropped it.
 */
@Entity({ name: 'chunk_patches' })
export class ChunkPatchRow {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  sha256!: string;

  @PrimaryColumn({ name: 'base_sha256', type: 'varchar', length: 64 })
  base!: string;

  @Column({ name: 'stored_size', type: 'bigint', transformer: bigintAsNumber })
  storedSize!: number;
}
