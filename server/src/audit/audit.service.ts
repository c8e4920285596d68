import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuditAction, AuditEntryDto, AuditPage, AuditQuery, AuditTargetType } from '@rpi-deploy/contracts';
import { AppConfig } from '../config/app-config';
import { runsJobHere } from '../database/cluster-job';
import { Transactions } from '../database/transactions';
import { AuditEntry } from './audit-entry.entity';
import { redact } from './redact';

const PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
const EXPORT_LIMIT = 100_000;

/** What happened, as the caller knows it; `record` redacts and stamps the time. */
export interface AuditRecord {
  action: AuditAction;
  actor: { id?: number; username: string } | null;
  ip: string | null;
  targetType?: AuditTargetType;
  targetId?: string;
  before?: unknown;
  after?: unknown;
}

/** Writes, reads and prunes the audit log. */
@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(AuditEntry) private readonly entries: Repository<AuditEntry>,
    private readonly transactions: Transactions,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.prune();
    this.pruneTimer = setInterval(
      () => void this.prune().catch((error) => this.logger.error(error)),
      PRUNE_INTERVAL_MS,
    );
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Writes one entry. It is called after the change committed, so a failure here is logged
   * rather than thrown: the caller's answer must not make a change that happened look failed.
   */
  async record(record: AuditRecord): Promise<void> {
    try {
      await this.insert(record);
    } catch (error) {
      this.logger.error(`Could not record ${record.action} of ${record.targetId ?? '-'}: ${String(error)}`);
    }
  }

  private async insert(record: AuditRecord): Promise<void> {
    const entry = this.entries.create({
      at: new Date(),
      userId: record.actor?.id ?? null,
      actor: record.actor?.username.slice(0, 64) ?? null,
      ip: record.ip?.slice(0, 64) ?? null,
      action: record.action,
      targetType: record.targetType ?? null,
      targetId: record.targetId?.slice(0, 128) ?? null,
      before: json(record.before),
      after: json(record.after),
    });
    // Through the write queue: on SQLite a bare insert could land inside another request's open transaction.
    await this.transactions.run((manager) => manager.insert(AuditEntry, entry));
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const [items, total] = await this.filtered(query)
      .skip((page - 1) * pageSize)
      .take(pageSize)
      .getManyAndCount();
    return { items: items.map(toAuditEntryDto), total, page, pageSize };
  }

  /** Every entry the filters match, newest first, for the CSV export (no paging, capped). */
  async exportRows(query: AuditQuery): Promise<AuditEntryDto[]> {
    return (await this.filtered(query).take(EXPORT_LIMIT).getMany()).map(toAuditEntryDto);
  }

  /** Deletes entries older than AUDIT_RETENTION_DAYS; returns how many went. */
  async prune(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.auditRetentionDays * DAY_MS);
    const removed = await this.transactions.run(async (manager) => {
      if (!(await runsJobHere(manager, 'audit-prune'))) return 0;
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(AuditEntry)
        .where('at < :cutoff', { cutoff })
        .execute();
      return result.affected ?? 0;
    });
    if (removed > 0)
      this.logger.log(`Removed ${removed} audit entries older than ${this.config.auditRetentionDays} days`);
    return removed;
  }

  private filtered(query: AuditQuery) {
    const builder = this.entries.createQueryBuilder('a').orderBy('a.at', 'DESC').addOrderBy('a.id', 'DESC');
    if (query.actor) builder.andWhere('a.actor = :actor', { actor: query.actor });
    if (query.action) builder.andWhere('a.action = :action', { action: query.action });
    if (query.targetType) builder.andWhere('a.targetType = :targetType', { targetType: query.targetType });
    if (query.target) {
      builder.andWhere("LOWER(a.targetId) LIKE :target ESCAPE '\\'", {
        target: `%${escapeLike(query.target.toLowerCase())}%`,
      });
    }
    if (query.from) builder.andWhere('a.at >= :from', { from: new Date(query.from) });
    if (query.to) builder.andWhere('a.at < :to', { to: new Date(query.to) });
    return builder;
  }
}

function json(value: unknown): string | null {
  const redacted = redact(value);
  return redacted === null ? null : JSON.stringify(redacted);
}

/** LIKE treats % and _ as wildcards; a target search means them literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export function toAuditEntryDto(entry: AuditEntry): AuditEntryDto {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor: entry.actor,
    ip: entry.ip,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: entry.before === null ? null : JSON.parse(entry.before),
    after: entry.after === null ? null : JSON.parse(entry.after),
  };
}
