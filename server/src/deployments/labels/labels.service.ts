import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { UnitLabel } from '@rpi-deploy/contracts';
import { BatchesService } from '../../hostnames/batches/batches.service';
import { Deployment } from '../deployment.entity';

/** Which units get a label: those of a batch, or the deployments an operator picked. */
@Injectable()
export class LabelsService {
  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    private readonly batches: BatchesService,
  ) {}

  /** One label per unit handed a hostname through the batch, from its latest deployment. */
  async forBatch(batchId: number): Promise<UnitLabel[]> {
    await this.batches.get(batchId);
    const rows = await this.deployments.find({
      select: { id: true, hostname: true, serial: true, mac: true, startedAt: true },
      where: { batchId },
      order: { startedAt: 'DESC' },
    });
    if (rows.length === 0) {
      throw new NotFoundException(
        `Batch ${batchId} has no units yet: labels can be printed once its units have asked for their configuration`,
      );
    }
    return unitLabels(rows);
  }

  /** One label per unit of the deployments named; every id must exist. */
  async forDeployments(ids: string[]): Promise<UnitLabel[]> {
    const rows = await this.deployments.find({
      select: { id: true, hostname: true, serial: true, mac: true, startedAt: true },
      where: { id: In(ids) },
      order: { startedAt: 'DESC' },
    });
    const found = new Set(rows.map((row) => row.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new NotFoundException(
        `No deployment ${missing.slice(0, 3).join(', ')}: pick the units again from the dashboard`,
      );
    }
    return unitLabels(rows);
  }
}

/** Newest first in: one label per unit (serial), its latest hostname, sorted by hostname. */
function unitLabels(newestFirst: Pick<Deployment, 'hostname' | 'serial' | 'mac'>[]): UnitLabel[] {
  const bySerial = new Map<string, UnitLabel>();
  for (const row of newestFirst) {
    if (!bySerial.has(row.serial))
      bySerial.set(row.serial, { hostname: row.hostname, serial: row.serial, mac: row.mac });
  }
  return [...bySerial.values()].sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
}
