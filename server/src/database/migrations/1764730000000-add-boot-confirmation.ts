import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/**
 * Boot confirmation (issue 18): a successful deployment waits for its unit's first boot to report
 * `booted`, and keeps what the unit said about itself. Installs older than this keep `boot_state`
 * NULL: they could not confirm, so they count neither way.
 */
export class AddBootConfirmation1764730000000 implements MigrationInterface {
  name = 'AddBootConfirmation1764730000000';

  // Plain ALTERs on both databases: TypeORM's addColumn would rebuild the SQLite table.
  async up(queryRunner: QueryRunner): Promise<void> {
    const add = (definition: string) => queryRunner.query(`ALTER TABLE "deployments" ADD COLUMN ${definition}`);
    await add('"boot_state" varchar(12)');
    await add(`"booted_at" ${dateTimeType(queryRunner)}`);
    await add('"boot_hostname" varchar(253)');
    await add('"boot_machine_id" varchar(64)');
    await add('"boot_image_version" varchar(200)');
    await add('"boot_kernel" varchar(200)');
    await add('"boot_address" varchar(45)');
    // The periodic check finds the deployments still waiting without reading the whole history.
    await queryRunner.query('CREATE INDEX "IDX_deployments_boot_state" ON "deployments" ("boot_state")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_deployments_boot_state"');
    for (const column of [
      'boot_address',
      'boot_kernel',
      'boot_image_version',
      'boot_machine_id',
      'boot_hostname',
      'booted_at',
      'boot_state',
    ]) {
      await queryRunner.query(`ALTER TABLE "deployments" DROP COLUMN "${column}"`);
    }
  }
}
