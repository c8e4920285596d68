import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import {
  UNIT_POLL_SECONDS,
  UNIT_WAITING_GRACE_SECONDS,
  type UnitCommandDto,
  type UnitCommandName,
  type UnitPollAnswer,
} from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { Deployment } from '../deployment.entity';
import { tokenMatches } from '../status-token';
import { UnitCommand } from './unit-command.entity';

/**
 * Operator commands for failed units that wait (identify, retry, power off). A waiting unit
 * polls `POST /api/commands` every UNIT_POLL_SECONDS; the server remembers when (in memory: a
 * restarted server knows again within one poll) and calls the unit waiting while that is recent.
 * A command is stored `queued`, handed out `delivered` in the next poll's answer, and `done` when
 * the unit acknowledges it in a later poll.
 */
const GRACE_MS = Math.max(UNIT_WAITING_GRACE_SECONDS, 3 * UNIT_POLL_SECONDS) * 1000;
/** Looking for silent units costs a pass over the map: only once it has grown. */
const FORGET_ABOVE = 200;

@Injectable()
export class UnitCommandsService {
  private readonly lastPoll = new Map<string, Date>();

  constructor(
    @InjectRepository(Deployment) private readonly deployments: Repository<Deployment>,
    @InjectRepository(UnitCommand) private readonly commands: Repository<UnitCommand>,
    private readonly transactions: Transactions,
  ) {}

  async queue(deploymentId: string, command: UnitCommandName, requestedBy: string): Promise<UnitCommandDto> {
    const deployment = await this.deployments.findOne({ where: { id: deploymentId } });
    if (!deployment) throw new NotFoundException(`No deployment ${deploymentId}`);
    if (!this.isWaiting(deployment)) {
      throw new ConflictException(
        `${deployment.hostname} (deployment ${deploymentId}, ${deployment.status}) is not waiting for an operator: ` +
          'commands reach failed units that stopped and poll the server; a newer deployment of the unit may be running',
      );
    }
    const saved = await this.transactions.run((manager) =>
      manager.save(
        Object.assign(new UnitCommand(), {
          deploymentId,
          command,
          state: 'queued',
          requestedBy,
          requestedAt: new Date(),
          deliveredAt: null,
          doneAt: null,
        } satisfies Omit<UnitCommand, 'id'>),
      ),
    );
    return toDto(saved);
  }

  /** Newest first. */
  async list(deploymentId: string): Promise<UnitCommandDto[]> {
    if ((await this.deployments.count({ where: { id: deploymentId } })) === 0)
      throw new NotFoundException(`No deployment ${deploymentId}`);
    const rows = await this.commands.find({ where: { deploymentId }, order: { id: 'DESC' }, take: 50 });
    return rows.map(toDto);
  }

  /** A waiting unit's poll: acknowledges what it did, marks it waiting, hands out what is queued. */
  async poll(deploymentId: string, token: string, done: number[]): Promise<UnitPollAnswer> {
    const deployment = await this.deployments.findOne({ where: { id: deploymentId } });
    if (!deployment) throw new NotFoundException(`No deployment ${deploymentId}: ask /api/config again`);
    if (!tokenMatches(token, deployment.tokenHash))
      throw new ForbiddenException('This token belongs to another deployment');
    if (deployment.status !== 'failed') {
      throw new ConflictException(
        `Deployment ${deploymentId} is ${deployment.status}: only a failed unit waits for commands`,
      );
    }
    const now = new Date();
    this.forgetSilent(now);
    this.lastPoll.set(deploymentId, now);
    const pending = await this.commands.find({
      where: { deploymentId, state: In(['queued', ...(done.length > 0 ? ['delivered'] : [])]) },
      order: { id: 'ASC' },
    });
    const finished = pending.filter((command) => command.state === 'delivered' && done.includes(command.id));
    const queued = pending.filter((command) => command.state === 'queued');
    if (finished.length + queued.length > 0) {
      await this.transactions.run(async (manager) => {
        for (const command of finished) Object.assign(command, { state: 'done', doneAt: now });
        for (const command of queued) Object.assign(command, { state: 'delivered', deliveredAt: now });
        await manager.save([...finished, ...queued]);
      });
    }
    return { commands: queued.map(({ id, command }) => ({ id, command })) };
  }

  private isWaiting(deployment: Deployment): boolean {
    const last = this.lastPoll.get(deployment.id);
    return deployment.status === 'failed' && last !== undefined && Date.now() - last.getTime() <= GRACE_MS;
  }

  /** Units that stopped polling (retried, switched off) are forgotten, so the map holds only the waiting ones. */
  private forgetSilent(now: Date): void {
    if (this.lastPoll.size < FORGET_ABOVE) return;
    for (const [id, last] of this.lastPoll) if (now.getTime() - last.getTime() > GRACE_MS) this.lastPoll.delete(id);
  }
}

function toDto(command: UnitCommand): UnitCommandDto {
  return {
    id: command.id,
    deploymentId: command.deploymentId,
    command: command.command,
    state: command.state,
    requestedBy: command.requestedBy,
    requestedAt: command.requestedAt.toISOString(),
    deliveredAt: command.deliveredAt?.toISOString() ?? null,
    doneAt: command.doneAt?.toISOString() ?? null,
  };
}
