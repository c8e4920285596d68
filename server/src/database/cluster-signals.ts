import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Notification, Pool, PoolClient } from 'pg';
import { filter, map, Subject, type Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** The PostgreSQL channel of the instances' signals to each other. */
const CHANNEL = 'rpi_deploy_cluster';
/** After a lost listening connection: try again this often. */
const RELISTEN_MS = 2_000;
const released = new WeakSet<PoolClient>();

/** What one instance tells every instance (itself included) to re-read from the database. */
export type ClusterTopic = 'netboot';

/**
 * Signals between the instances that share one PostgreSQL, over LISTEN/NOTIFY: "something you
 * keep per host (the TFTP root) may be out of date, re-read it from the database". A signal
 * carries no data, so one that is lost (a connection dropped) loses nothing but time: every
 * (re)connection is itself announced as a signal of every topic, and the receivers compare
 * what they have with the database. On SQLite there is one instance: signals go to it alone.
 */
@Injectable()
export class ClusterSignals implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ClusterSignals');
  private readonly signals = new Subject<ClusterTopic>();
  private listener?: PoolClient;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    if (this.dataSource.driver instanceof PostgresDriver) await this.listen();
  }

  /** Before TypeORM ends its pool, which waits for every checked-out connection. */
  onModuleDestroy(): void {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.listener && !released.has(this.listener)) {
      released.add(this.listener);
      this.listener.release();
    }
    this.listener = undefined;
  }

  /** Received signals of one topic, from any instance. */
  on(topic: ClusterTopic): Observable<void> {
    return this.signals.pipe(
      filter((received) => received === topic),
      map(() => undefined),
    );
  }

  /** Tells every instance, this one included, that topic changed in the database. */
  async announce(topic: ClusterTopic): Promise<void> {
    if (!(this.dataSource.driver instanceof PostgresDriver)) {
      this.signals.next(topic);
      return;
    }
    await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, topic]);
  }

  /** One connection of TypeORM's pool stays checked out to LISTEN for as long as the server runs. */
  private async listen(): Promise<void> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      const listening = client;
      listening.on('notification', (message: Notification) => {
        if (message.channel === CHANNEL && message.payload === 'netboot') this.signals.next(message.payload);
      });
      listening.on('error', (error) => this.lost(listening, error));
      await listening.query(`LISTEN ${CHANNEL}`);
      this.listener = listening;
      // Whatever was announced while nobody listened here is found by re-reading now.
      this.signals.next('netboot');
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  private lost(client: PoolClient | undefined, error: Error): void {
    if (client && client === this.listener) this.listener = undefined;
    // The broken connection leaves the pool instead of going back to it (once: errors may repeat).
    if (client && !released.has(client)) {
      released.add(client);
      client.release(true);
    }
    if (this.closed) return;
    this.logger.warn(`Not hearing the other instances (${error.message}); listening again in ${RELISTEN_MS} ms`);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen(), RELISTEN_MS);
  }
}
