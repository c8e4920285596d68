import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dateTimeType } from './portable-types';

/**
 * Deployment integrity (issue 19): a deployment remembers the latest device refused for
 * impersonating it, and its timeline tells status entries from impersonation entries.
 */
export class DeploymentIntegrity1764710000000 implements MigrationInterface {
  name = 'DeploymentIntegrity1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Plain ALTERs on both databases: TypeORM's addColumn would rebuild the SQLite tables.
    const add = (table: string, definition: string) =>
      queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN ${definition}`);
    await add('deployments', '"impersonation_serial" varchar(16)');
    await add('deployments', '"impersonation_mac" varchar(17)');
    await add('deployments', '"impersonation_ip" varchar(45)');
    await add('deployments', `"impersonation_at" ${dateTimeType(queryRunner)}`);
    await add('deployment_events', `"kind" varchar(16) NOT NULL DEFAULT 'status'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "deployment_events" DROP COLUMN "kind"');
    for (const column of ['impersonation_at', 'impersonation_ip', 'impersonation_mac', 'impersonation_serial']) {
      await queryRunner.query(`ALTER TABLE "deployments" DROP COLUMN "${column}"`);
    }
  }
}
