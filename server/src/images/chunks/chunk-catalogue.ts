import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource, In, IsNull, Not, type EntityManager } from 'typeorm';
import type { ChunkPatch, ImageChunk, ImageChunkStats, ProductCode } from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { Image } from '../image.entity';
import type { ChunkBases } from './chunk-cutter';
import { Chunk, ChunkPatchRow, ImageChunkRow } from './chunk.entity';
import { CHUNK_DIGEST, ChunkStore, PATCH_FILE } from './chunk-store';

/** Rows per INSERT / IN list: well below SQLite's and PostgreSQL's parameter limits. */
const BATCH = 200;

/**
 * The chunk store's bookkeeping in the database: which chunks exist (chunks) and which image
 * uses which at what offset (image_chunks); and freeing the chunks no image uses any more.
 */
@Injectable()
export class ChunkCatalogue {
  private readonly logger = new Logger('Chunks');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: ChunkStore,
    private readonly transactions: Transactions,
  ) {}

  /** Records an image's chunks (new ones stored at zstd `level`), in the transaction that creates its row. */
  async record(manager: EntityManager, imageId: number, chunks: ImageChunk[], level: number): Promise<void> {
    for (let start = 0; start < chunks.length; start += BATCH) {
      const batch = chunks.slice(start, start + BATCH);
      const distinct = [...new Map(batch.map((chunk) => [chunk.sha256, chunk])).values()];
      await manager
        .createQueryBuilder()
        .insert()
        .into(Chunk)
        .values(
          distinct.map(({ sha256, storedSize, length, probe }) => ({
            sha256,
            storedSize,
            length,
            probe: probe ?? null,
            zstdLevel: level,
          })),
        )
        // Stored already for another image: only its probe is filled in, if it was stored without one.
        .orUpdate(['probe'], ['sha256'])
        .execute();
      await manager
        .createQueryBuilder()
        .insert()
        .into(ImageChunkRow)
        .values(batch.map(({ offset, length, sha256 }) => ({ imageId, offset, length, sha256 })))
        .execute();
      const patches = distinct.flatMap(({ sha256, patches }) =>
        (patches ?? []).map(({ base, storedSize }) => ({ sha256, base, storedSize })),
      );
      for (let first = 0; first < patches.length; first += BATCH) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(ChunkPatchRow)
          .values(patches.slice(first, first + BATCH))
          .orIgnore() // made for another image already
          .execute();
      }
    }
  }

  /**
   * What the cards of a product most likely hold, for a new version's patches: the chunks of its
   * active image and of its latest chunked one (the last version staff tried), other than `except`.
   */
  async patchBasesFor(product: ProductCode, except?: number): Promise<ChunkBases> {
    const images = this.dataSource.getRepository(Image);
    const chunked = { product, chunkCount: Not(IsNull()), ...(except === undefined ? {} : { id: Not(except) }) };
    const [active, latest] = await Promise.all([
      images.findOne({ where: { ...chunked, active: true }, select: { id: true } }),
      images.findOne({ where: chunked, select: { id: true }, order: { id: 'DESC' } }),
    ]);
    return this.basesOf([...new Set([active?.id, latest?.id].filter((id): id is number => id !== undefined))]);
  }

  /** What the given images hold at each chunk position, for patches against them (ChunkCutter). */
  async basesOf(imageIds: number[]): Promise<ChunkBases> {
    const bases: ChunkBases = new Map();
    if (imageIds.length === 0) return bases;
    const rows = await this.dataSource.getRepository(ImageChunkRow).find({
      where: { imageId: In(imageIds) },
      select: { offset: true, length: true, sha256: true },
    });
    for (const { offset, length, sha256 } of rows) {
      const known = bases.get(offset);
      if (!known) bases.set(offset, { length, sha256s: [sha256] });
      else if (known.length === length && !known.sha256s.includes(sha256)) known.sha256s.push(sha256);
    }
    return bases;
  }

  /** The images with chunks stored below zstd `level` (captures waiting for their recompression). */
  async imagesBelowLevel(level: number): Promise<number[]> {
    const rows: { imageId: number | string }[] = await this.dataSource
      .createQueryBuilder(ImageChunkRow, 'ic')
      .innerJoin(Chunk, 'c', 'c.sha256 = ic.sha256')
      .select('ic.image_id', 'imageId')
      .distinct(true)
      .where('c.zstd_level < :level', { level })
      .getRawMany();
    return rows.map((row) => Number(row.imageId)).sort((a, b) => a - b);
  }

  /** The image's distinct chunks stored below zstd `level`: their uncompressed lengths and stored sizes. */
  async chunksBelowLevel(
    imageId: number,
    level: number,
  ): Promise<{ sha256: string; length: number; storedSize: number }[]> {
    const rows: { sha256: string; length: number | string; storedSize: number | string }[] = await this.dataSource
      .createQueryBuilder(ImageChunkRow, 'ic')
      .innerJoin(Chunk, 'c', 'c.sha256 = ic.sha256')
      .select('c.sha256', 'sha256')
      .distinct(true)
      .addSelect('c.length', 'length')
      .addSelect('c.stored_size', 'storedSize')
      .where('ic.image_id = :imageId AND c.zstd_level < :level', { imageId, level })
      .orderBy('c.sha256')
      .getRawMany();
    return rows.map((row) => ({ sha256: row.sha256, length: Number(row.length), storedSize: Number(row.storedSize) }));
  }

  /** A chunk's frame was stored again: its manifests announce the new size from now on. */
  async restored(sha256: string, storedSize: number, level: number): Promise<void> {
    await this.dataSource.getRepository(Chunk).update({ sha256 }, { storedSize, zstdLevel: level });
  }

  /** Forgets an image's chunks (in the transaction deleting it); the caller then frees them. */
  async forget(manager: EntityManager, imageId: number): Promise<string[]> {
    const rows = await manager.find(ImageChunkRow, { where: { imageId }, select: { sha256: true } });
    await manager.delete(ImageChunkRow, { imageId });
    return [...new Set(rows.map((row) => row.sha256))];
  }

  /** Whether the store holds the chunk (for an image: an upload's uncommitted chunks are not served). */
  isStored(sha256: string): Promise<boolean> {
    return this.dataSource.getRepository(Chunk).existsBy({ sha256 });
  }

  /** Whether the store holds that patch frame (recorded with its image, like chunks). */
  isPatchStored(sha256: string, base: string): Promise<boolean> {
    return this.dataSource.getRepository(ChunkPatchRow).existsBy({ sha256, base });
  }

  /** The image's chunks in offset order, with their stored sizes. */
  async chunksOf(imageId: number): Promise<ImageChunk[]> {
    const rows: {
      offset: string | number;
      length: number;
      sha256: string;
      storedSize: string | number;
      probe: string | null;
    }[] = await this.dataSource
      .createQueryBuilder(ImageChunkRow, 'ic')
      .innerJoin(Chunk, 'c', 'c.sha256 = ic.sha256')
      .select(['ic.image_offset AS "offset"', 'ic.length AS "length"', 'ic.sha256 AS "sha256"'])
      .addSelect('c.stored_size', 'storedSize')
      .addSelect('c.probe', 'probe')
      .where('ic.image_id = :imageId', { imageId })
      .orderBy('ic.image_offset')
      .getRawMany();
    const patches = await this.patchesOf(imageId);
    return rows.map((row) => {
      const chunk: ImageChunk = {
        offset: Number(row.offset),
        length: Number(row.length),
        sha256: row.sha256,
        storedSize: Number(row.storedSize),
        ...(row.probe && { probe: row.probe }),
      };
      const found = patches.get(row.sha256);
      return found ? { ...chunk, patches: found } : chunk;
    });
  }

  private async patchesOf(imageId: number): Promise<Map<string, ChunkPatch[]>> {
    const rows: { sha256: string; base: string; storedSize: string | number; baseProbe: string | null }[] =
      await this.dataSource
        .getRepository(ChunkPatchRow)
        .createQueryBuilder('p')
        // The base chunk may be gone from the store (cards still hold it): then there is no probe.
        .leftJoin(Chunk, 'b', 'b.sha256 = p.base_sha256')
        .select(['p.sha256 AS "sha256"', 'p.base_sha256 AS "base"', 'p.stored_size AS "storedSize"'])
        .addSelect('b.probe', 'baseProbe')
        .where('p.sha256 IN (SELECT ic.sha256 FROM image_chunks ic WHERE ic.image_id = :imageId)', { imageId })
        .orderBy('p.sha256')
        .addOrderBy('p.base_sha256')
        .getRawMany();
    const patches = new Map<string, ChunkPatch[]>();
    for (const { sha256, base, storedSize, baseProbe } of rows) {
      const list = patches.get(sha256) ?? [];
      list.push({ base, storedSize: Number(storedSize), ...(baseProbe && { baseProbe }) });
      patches.set(sha256, list);
    }
    return patches;
  }

  /** Chunk figures of chunked images; `previousOf` maps an image to the one uploaded before it. */
  async stats(imageIds: number[], previousOf: Map<number, number>): Promise<Map<number, ImageChunkStats>> {
    const stats = new Map<number, ImageChunkStats>();
    if (imageIds.length === 0) return stats;
    const totals: { id: number; count: string | number; stored: string | number }[] = await this.dataSource
      .createQueryBuilder(ImageChunkRow, 'ic')
      .innerJoin(Chunk, 'c', 'c.sha256 = ic.sha256')
      .select('ic.image_id', 'id')
      .addSelect('COUNT(*)', 'count')
      .addSelect('SUM(c.stored_size)', 'stored')
      .where({ imageId: In(imageIds) })
      .groupBy('ic.image_id')
      .getRawMany();
    for (const total of totals) {
      stats.set(Number(total.id), {
        chunkCount: Number(total.count),
        storedBytes: Number(total.stored),
        sharedWithPreviousBytes: null,
      });
    }
    for (const [id, figures] of stats) {
      const previous = previousOf.get(id);
      if (previous === undefined) continue;
      const shared: { bytes: string | number | null } | undefined = await this.dataSource
        .createQueryBuilder(ImageChunkRow, 'ic')
        .select('SUM(ic.length)', 'bytes')
        .where('ic.image_id = :id', { id })
        .andWhere('EXISTS (SELECT 1 FROM image_chunks p WHERE p.image_id = :previous AND p.sha256 = ic.sha256)', {
          previous,
        })
        .getRawOne();
      figures.sharedWithPreviousBytes = Number(shared?.bytes ?? 0);
    }
    return stats;
  }

  /**
   * Removes those of `candidates` (chunks an image or a failed upload used) that no image uses
   * and no upload in progress claims: their files, then their rows.
   */
  async free(candidates: string[]): Promise<number> {
    const removed = await this.store.removeUnused(
      candidates,
      async (unclaimed) => {
        const unused: string[] = [];
        for (let start = 0; start < unclaimed.length; start += BATCH) {
          const batch = unclaimed.slice(start, start + BATCH);
          const used = await this.dataSource.getRepository(ImageChunkRow).find({
            where: { sha256: In(batch) },
            select: { sha256: true },
          });
          const usedSet = new Set(used.map((row) => row.sha256));
          unused.push(...batch.filter((sha256) => !usedSet.has(sha256)));
        }
        return unused;
      },
      async (removable) => {
        for (let start = 0; start < removable.length; start += BATCH) {
          const batch = removable.slice(start, start + BATCH);
          await this.transactions.run(async (manager) => {
            await manager.delete(ChunkPatchRow, { sha256: In(batch) });
            await manager.delete(Chunk, { sha256: In(batch) });
          });
        }
      },
    );
    return removed.length;
  }

  /**
   * At start: chunks left behind by a crash (a file written by an upload that never committed, or
   * an image deleted before its chunks were freed) go. No upload of this process runs yet; those
   * of other instances hold claims (and their young files on a shared folder are spared).
   */
  async sweepOrphans(): Promise<void> {
    const recorded = new Set(
      (await this.dataSource.getRepository(Chunk).find({ select: { sha256: true } })).map((chunk) => chunk.sha256),
    );
    const patches = new Set(
      (await this.dataSource.getRepository(ChunkPatchRow).find()).map(({ sha256, base }) => `${sha256}/${base}`),
    );
    const unrecorded: string[] = [];
    for (const entry of await readdir(this.store.folder, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const sha256 = entry.name.replace(/\.zst$/, '');
      const patch = PATCH_FILE.exec(entry.name);
      const orphan =
        (CHUNK_DIGEST.test(sha256) && !recorded.has(sha256)) || (patch && !patches.has(`${patch[1]}/${patch[2]}`));
      // On a shared folder a young unrecorded frame may be another instance's upload in progress.
      if (!orphan || !(await this.store.shared.isStale(join(entry.parentPath, entry.name)))) continue;
      unrecorded.push(entry.name);
      await rm(join(entry.parentPath, entry.name), { force: true });
    }
    const unused: { sha256: string }[] = await this.dataSource
      .createQueryBuilder(Chunk, 'c')
      .select('c.sha256', 'sha256')
      .where('NOT EXISTS (SELECT 1 FROM image_chunks ic WHERE ic.sha256 = c.sha256)')
      .getRawMany();
    const freed = await this.free(unused.map((row) => row.sha256));
    if (unrecorded.length + freed > 0) {
      this.logger.log(
        `Swept ${unrecorded.length + freed} chunks no image uses (left by an interrupted upload or delete)`,
      );
    }
  }
}
