import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CanaryController } from './canary/canary.controller';
import { CanaryOutcomes } from './canary/canary-outcomes';
import { ImageCanary } from './canary/canary.entity';
import { CanaryService } from './canary/canary.service';
import { CaptureController } from './capture/capture.controller';
import { CaptureMark } from './capture/capture-mark.entity';
import { CaptureMarks } from './capture/capture-marks';
import { CaptureSessions } from './capture/capture-sessions';
import { GeneraliseController } from './generalise/generalise.controller';
import { GeneraliseService } from './generalise/generalise.service';
import { ReleaseNotesController } from './release/release-notes.controller';
import { ReleaseNotesService } from './release/release-notes.service';
import { ChunkCatalogue } from './chunks/chunk-catalogue';
import { ChunkClaims } from './chunks/chunk-claims';
import { ChunkRecompression } from './chunks/chunk-recompression';
import { Chunk, ChunkPatchRow, ImageChunkRow } from './chunks/chunk.entity';
import { ChunkStore } from './chunks/chunk-store';
import { CompressPool } from './chunks/compress-pool';
import { ImageConversions } from './convert/image-conversions';
import { ChunkFilesController } from './download/chunk-files.controller';
import { DownloadPool } from './download/download-pool';
import { ImageFilesController } from './download/image-files.controller';
import { ImageTraffic } from './download/image-traffic';
import { ServerAdmission } from './download/server-admission';
import { ImageChanges } from './image-changes';
import { ImageInstalls } from './image-installs';
import { ImageStore } from './image-store';
import { DownloadLeases } from './store/download-leases';
import { ImageDownload } from './store/image-download.entity';
import { SharedStore } from './store/shared-store';
import { Image } from './image.entity';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/**
 * Master images: the catalogue (versions, activation, rollback) here; upload/ streams an upload
 * into a sparse file and describes it (size, SHA-256, partitions, block map), cutting its mapped
 * bytes into chunks/ (the content-addressed, zstd-compressed chunk store); download/ serves
 * the bytes, block maps, chunk manifests and chunks to the Pis; capture/ receives a marked unit's
 * card as a new version through the same pipeline as an upload.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Image, ImageCanary, CaptureMark, Chunk, ImageChunkRow, ChunkPatchRow, ImageDownload]),
  ],
  controllers: [
    CaptureController,
    CanaryController,
    ReleaseNotesController,
    GeneraliseController,
    ImagesController,
    ImageFilesController,
    ChunkFilesController,
  ],
  providers: [
    ImagesService,
    ImageChanges,
    ImageTraffic,
    ServerAdmission,
    ImageStore,
    SharedStore,
    DownloadLeases,
    DownloadPool,
    ChunkStore,
    ChunkClaims,
    ChunkCatalogue,
    ChunkRecompression,
    CompressPool,
    ImageInstalls,
    ImageConversions,
    CanaryService,
    ReleaseNotesService,
    GeneraliseService,
    CanaryOutcomes,
    CaptureMarks,
    CaptureSessions,
  ],
  exports: [
    ImagesService,
    CaptureMarks,
    CanaryService,
    CanaryOutcomes,
    ImageChanges,
    ImageInstalls,
    ImageTraffic,
    ServerAdmission,
  ],
})
export class ImagesModule {}
