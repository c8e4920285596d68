import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DownloadPool } from './download/download-pool';
import { ImageFilesController } from './download/image-files.controller';
import { ImageChanges } from './image-changes';
import { ImageStore } from './image-store';
import { Image } from './image.entity';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';

/**
 * Master images: the catalogue (versions, activation, rollback) here; upload/ streams an upload
 * into a sparse file and describes it (size, SHA-256, partitions, block map); download/ serves
 * the bytes and block maps to the Pis.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Image])],
  controllers: [ImagesController, ImageFilesController],
  providers: [ImagesService, ImageChanges, ImageStore, DownloadPool],
  exports: [ImagesService, ImageChanges],
})
export class ImagesModule {}
