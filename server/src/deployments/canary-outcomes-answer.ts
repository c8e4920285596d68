import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThanOrEqual, Repository } from 'typeorm';
import type { CanaryOutcome } from '@rpi-deploy/contracts';
import { CanaryOutcomes } from '../images/canary/canary-outcomes';
import { Deployment } from './deployment.entity';

/** Tells Images how the canary's units did: one row per unit, its latest deployment of the canary image. */
@Injectable()
export class CanaryOutcomesAnswer implements OnModuleInit {
  constructor(
    private readonly outcomes: CanaryOutcomes,
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
  ) {}

  onModuleInit(): void {
    this.outcomes.answeredBy((imageId, since) => this.outcome(imageId, since));
  }

  private async outcome(imageId: number, since: Date): Promise<CanaryOutcome> {
    const rows = await this.deployments.find({
      select: { serial: true, status: true, bootState: true, startedAt: true },
      where: { imageId, startedAt: MoreThanOrEqual(since) },
      order: { startedAt: 'ASC' },
    });
    const latest = new Map(rows.map((row) => [row.serial, row]));
    const outcome: CanaryOutcome = { units: latest.size, installing: 0, installed: 0, booted: 0, failed: 0 };
    for (const row of latest.values()) {
      if (row.status === 'success') {
        outcome.installed += 1;
        if (row.bootState === 'booted') outcome.booted += 1;
      } else if (row.status === 'failed') outcome.failed += 1;
      else outcome.installing += 1;
    }
    return outcome;
  }
}
