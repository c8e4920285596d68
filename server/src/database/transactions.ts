import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Runs write transactions safely on both databases.
 *
 * TypeORM drives better-sqlite3 through ONE shared connection: two `transaction()` calls that
 * interleave at an `await` would run inside each other ("cannot start a transaction within a
 * transaction", or one request's writes rolled back by another's failure). So on SQLite every
 * write transaction waits its turn here; SQLite serialises writers anyway, this just makes
 * the queue explicit and in-process. PostgreSQL runs them concurrently, each on its own
 * pooled connection, and callers take row locks where they read-then-write.
 */
@Injectable()
export class Transactions {
  private readonly serialised: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serialised = dataSource.options.type !== 'postgres';
  }

  get isPostgres(): boolean {
    return !this.serialised;
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialised) return this.dataSource.transaction(work);
    const result = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = result.catch(() => undefined);
    return result;
  }
}
