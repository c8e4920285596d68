import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import type { PoolClient } from 'pg';
import type { DataSource, EntityManager, ValueTransformer } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { DeploymentEvent } from './deployment-event.entity';
import { Deployment } from './deployment.entity';

/** The columns of a deployment that a status report (or the server ending it, an impersonation, a boot confirmation) changes. */
const REPORTED_PROPERTIES = [
  'status',
  'progress',
  'bytesDone',
  'bytesTotal',
  'downloadBps',
  'writeBps',
  'verifyBps',
  'bytesFetched',
  'bytesWritten',
  'chunksReused',
  'chunksTotal',
  'bytesFromPeers',
  'message',
  'error',
  'ip',
  'lastReportAt',
  'finishedAt',
  'impersonationSerial',
  'impersonationMac',
  'impersonationIp',
  'impersonationAt',
  'failureCode',
  'bootState',
  'bootedAt',
  'bootHostname',
  'bootMachineId',
  'bootImageVersion',
  'bootKernel',
  'bootAddress',
] as const satisfies ReadonlyArray<keyof Deployment>;

const EVENT_PROPERTIES = [
  'deploymentId',
  'kind',
  'status',
  'progress',
  'bytesDone',
  'bytesTotal',
  'message',
  'error',
  'createdAt',
] as const satisfies ReadonlyArray<keyof DeploymentEvent>;

/** One event row as a report creates it. */
export type NewEvent = Pick<DeploymentEvent, (typeof EVENT_PROPERTIES)[number]>;

interface Columns {
  /** Every column of a deployment, for a new one. */
  all: ColumnMetadata[];
  /** The columns an update sets. */
  reported: ColumnMetadata[];
  id: ColumnMetadata;
  event: ColumnMetadata[];
}

/**
 * Writes the rows of deployments and their events inside the caller's transaction (one that
 * OpenDeployments runs), with statements prepared once instead of building each query through
 * TypeORM: that building was most of the CPU a status report cost. Values still go through the
 * driver's own conversion (dates, transformers), so rows look exactly as TypeORM writes and reads
 * them. SQLite runs one cached statement per row (no round trips); PostgreSQL one statement for a
 * whole batch of reports, both tables at once (named, so the server plans it once per connection).
 */
@Injectable()
export class DeploymentRowWriter {
  private columns?: Columns;
  private sqlite?: { create: Statement; update: Statement; insert: Statement };

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new deployment with its first event. */
  async insert(manager: EntityManager, deployment: Deployment, event: NewEvent): Promise<void> {
    const { all } = this.metadata();
    const connection = await this.connection(manager);
    if (connection.postgres) {
      await connection.client.query({
        name: 'deployments-create',
        text: `INSERT INTO deployments (${names(all)}) VALUES (${all.map((_, i) => `$${i + 1}`).join(', ')})`,
        values: this.values(all, deployment),
      });
    } else this.statements(connection.db).create.run(...this.values(all, deployment));
    await this.update(manager, [], [event]);
  }

  /** The changed columns of existing deployments, and their new events in the order given. */
  async update(manager: EntityManager, changed: Deployment[], events: NewEvent[]): Promise<void> {
    if (changed.length === 0 && events.length === 0) return;
    const connection = await this.connection(manager);
    if (connection.postgres) await this.updatePostgres(connection.client, changed, events);
    else this.updateSqlite(connection.db, changed, events);
  }

  private async connection(
    manager: EntityManager,
  ): Promise<{ postgres: true; client: PoolClient } | { postgres: false; db: Database }> {
    // The transaction's own connection: a pg client, or the one better-sqlite3 database.
    const connection: unknown = await manager.queryRunner!.connect();
    return this.dataSource.options.type === 'postgres'
      ? { postgres: true, client: connection as PoolClient }
      : { postgres: false, db: connection as Database };
  }

  private statements(db: Database): { create: Statement; update: Statement; insert: Statement } {
    const { all, reported, id, event } = this.metadata();
    this.sqlite ??= {
      create: db.prepare(`INSERT INTO deployments (${names(all)}) VALUES (${all.map(() => '?').join(', ')})`),
      update: db.prepare(
        `UPDATE deployments SET ${reported.map((c) => `${c.databaseName} = ?`).join(', ')} WHERE ${id.databaseName} = ?`,
      ),
      insert: db.prepare(`INSERT INTO deployment_events (${names(event)}) VALUES (${event.map(() => '?').join(', ')})`),
    };
    return this.sqlite;
  }

  private updateSqlite(db: Database, changed: Deployment[], events: NewEvent[]): void {
    const { reported, id, event } = this.metadata();
    const { update, insert } = this.statements(db);
    for (const row of changed) update.run(...this.values(reported, row), this.value(id, row));
    for (const row of events) insert.run(...this.values(event, row));
  }

  private async updatePostgres(client: PoolClient, changed: Deployment[], events: NewEvent[]): Promise<void> {
    const { reported, id, event } = this.metadata();
    const all = [...reported, id];
    // Parameters from $first on, one array per column.
    const casts = (columns: ColumnMetadata[], first = 1) =>
      columns.map((c, i) => `$${first + i}::${this.dataSource.driver.normalizeType(c)}[]`).join(', ');
    const arrays = <T extends object>(columns: ColumnMetadata[], rows: T[]) =>
      columns.map((c) => rows.map((row) => this.value(c, row)));
    const update = (first = 1) =>
      `UPDATE deployments AS d SET ${reported.map((c) => `${c.databaseName} = x.${c.databaseName}`).join(', ')} ` +
      `FROM unnest(${casts(all, first)}) AS x(${names(all)}) WHERE d.${id.databaseName} = x.${id.databaseName}`;
    // Ordered as reported: the timeline is read back in id order.
    const insert = (first = 1) =>
      `INSERT INTO deployment_events (${names(event)}) SELECT ${names(event)} ` +
      `FROM unnest(${casts(event, first)}) WITH ORDINALITY AS x(${names(event)}, n) ORDER BY n`;
    if (changed.length > 0 && events.length > 0) {
      // A status batch: both in one statement, one round trip fewer (the update runs in full as a
      // WITH part; the events' foreign keys see the rows, which this transaction holds).
      await client.query({
        name: 'deployments-report-update-and-events',
        text: `WITH updated AS (${update(event.length + 1)}) ${insert()}`,
        values: [...arrays(event, events), ...arrays(all, changed)],
      });
    } else if (changed.length > 0) {
      await client.query({ name: 'deployments-report-update', text: update(), values: arrays(all, changed) });
    } else if (events.length > 0) {
      await client.query({ name: 'deployments-report-events', text: insert(), values: arrays(event, events) });
    }
  }

  private metadata(): Columns {
    if (this.columns) return this.columns;
    const deployment = this.dataSource.getMetadata(Deployment);
    const event = this.dataSource.getMetadata(DeploymentEvent);
    const column = (metadata: typeof deployment, property: string) => {
      const found = metadata.findColumnWithPropertyName(property);
      if (!found) throw new Error(`${metadata.name} has no column ${property}`);
      return found;
    };
    this.columns = {
      all: deployment.columns,
      reported: REPORTED_PROPERTIES.map((p) => column(deployment, p)),
      id: column(deployment, 'id'),
      event: EVENT_PROPERTIES.map((p) => column(event, p)),
    };
    return this.columns;
  }

  private values(columns: ColumnMetadata[], row: object): unknown[] {
    return columns.map((c) => this.value(c, row));
  }

  /** The value as TypeORM would persist it (transformer, then the driver's conversion); null, never undefined. */
  private value(column: ColumnMetadata, row: object): unknown {
    let value = (row as Record<string, unknown>)[column.propertyName] ?? null;
    for (const transformer of [column.transformer ?? []].flat() as ValueTransformer[]) value = transformer.to(value);
    return this.dataSource.driver.preparePersistentValue(value, column) ?? null;
  }
}

function names(columns: ColumnMetadata[]): string {
  return columns.map((c) => c.databaseName).join(', ');
}
