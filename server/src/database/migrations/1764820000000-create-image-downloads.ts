import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/**
 * Issue 21: downloads in progress, on any instance, as leases with an expiry. Deleting an image
 * leaves its objects and chunks to the sweep while a lease on it lives.
 */
export class CreateImageDownloads1764820000000 implements MigrationInterface {
  name = 'CreateImageDownloads1764820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'image_downloads',
        columns: [
          // No foreign key: the lease must outlive the image row it protects the bytes of.
          { name: 'image_id', type: 'integer', isPrimary: true },
          { name: 'client', type: 'varchar', length: '64', isPrimary: true },
          { name: 'filename', type: 'varchar', length: '64' },
          { name: 'expires_at', type: dateTimeType(queryRunner) },
        ],
        indices: [new TableIndex({ name: 'IDX_image_downloads_client', columnNames: ['client'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('image_downloads');
  }
}
