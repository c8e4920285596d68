import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SOCKET_EVENTS, type CanaryDto, type CanaryStartBody, type ProductCode } from '@rpi-deploy/contracts';
import { Transactions } from '../../database/transactions';
import { isUniqueViolation } from '../../database/unique-violation';
import { LiveEvents } from '../../live/live-events';
import { Image } from '../image.entity';
import { ImagesService } from '../images.service';
import { CanaryOutcomes } from './canary-outcomes';
import { ImageCanary } from './canary.entity';

/** Canaries: a new version for the next N units or named serials; promote or abandon ends it. */
@Injectable()
export class CanaryService {
  private readonly logger = new Logger('Canary');

  constructor(
    @InjectRepository(ImageCanary) private readonly canaries: Repository<ImageCanary>,
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly imagesService: ImagesService,
    private readonly transactions: Transactions,
    private readonly outcomes: CanaryOutcomes,
    private readonly live: LiveEvents,
  ) {}

  async list(): Promise<CanaryDto[]> {
    const rows = await this.canaries.find({ relations: { image: true }, order: { product: 'ASC' } });
    return Promise.all(rows.map((row) => this.toDto(row)));
  }

  async status(product: ProductCode): Promise<CanaryDto> {
    return this.toDto(await this.find(product));
  }

  async start(imageId: number, body: CanaryStartBody, startedBy: string): Promise<CanaryDto> {
    const serials = [...new Set((body.serials ?? []).map((serial) => serial.toLowerCase()))];
    if ((body.units === undefined) === (serials.length === 0)) {
      throw new BadRequestException('Give either units (the next N configs) or serials (those units), not both');
    }
    const image = await this.images.findOneBy({ id: imageId });
    if (!image) throw new NotFoundException(`No image ${imageId}`);
    if (image.active) throw new ConflictException(`${image.product} ${image.version} is already active for everyone`);
    if (!(await this.imagesService.active(image.product))) {
      throw new ConflictException(
        `No active ${image.product} image: the rest of the fleet needs one, activate it first`,
      );
    }
    try {
      await this.transactions.run(async (manager) => {
        if (await manager.existsBy(ImageCanary, { product: image.product })) throw canaryRunning(image.product);
        await manager.insert(ImageCanary, {
          product: image.product,
          imageId,
          unitLimit: body.units ?? null,
          assigned: 0,
          serials,
          startedBy,
          startedAt: new Date(),
        });
      });
    } catch (error) {
      throw isUniqueViolation(error) ? canaryRunning(image.product) : error;
    }
    this.logger.log(
      `Canary of ${image.product} ${image.version} started by ${startedBy}: ` +
        (body.units === undefined ? `serials ${serials.join(', ')}` : `next ${body.units} units`),
    );
    this.announce(imageId);
    return this.status(image.product);
  }

  /** The canary image becomes active for everyone; the canary ends. */
  async promote(product: ProductCode): Promise<CanaryDto> {
    const canary = await this.end(product);
    await this.imagesService.activate(canary.imageId);
    this.logger.log(`Canary of ${product} image ${canary.imageId} promoted`);
    return canary;
  }

  /** The canary ends; everyone stays on the active image. */
  async abandon(product: ProductCode): Promise<CanaryDto> {
    const canary = await this.end(product);
    this.logger.log(`Canary of ${product} image ${canary.imageId} abandoned`);
    return canary;
  }

  /**
   * The canary image for a unit about to be configured, or null (it gets the active image). A
   * named serial always gets it; otherwise one of the N places is taken by a single conditional
   * UPDATE, so concurrent configs (on either database) never hand out more than N.
   */
  async imageFor(product: ProductCode, serial: string): Promise<Image | null> {
    const canary = await this.canaries.findOne({ where: { product }, relations: { image: true } });
    if (!canary?.image) return null;
    if (canary.serials.includes(serial.toLowerCase())) return canary.image;
    if (canary.unitLimit === null) return null;
    const taken = await this.transactions.run((manager) =>
      manager
        .createQueryBuilder()
        .update(ImageCanary)
        .set({ assigned: () => 'assigned + 1' })
        .where('product = :product AND image_id = :imageId AND assigned < unit_limit', {
          product,
          imageId: canary.imageId,
        })
        .execute(),
    );
    return taken.affected === 1 ? canary.image : null;
  }

  private async end(product: ProductCode): Promise<CanaryDto> {
    const canary = await this.status(product);
    const deleted = await this.transactions.run((manager) => manager.delete(ImageCanary, { product }));
    if (deleted.affected !== 1) throw new NotFoundException(`No ${product} canary is running`);
    this.announce(canary.imageId);
    return canary;
  }

  private async find(product: ProductCode): Promise<ImageCanary> {
    const canary = await this.canaries.findOne({ where: { product }, relations: { image: true } });
    if (!canary) throw new NotFoundException(`No ${product} canary is running`);
    return canary;
  }

  private announce(imageId: number): void {
    this.live.publish(SOCKET_EVENTS.imagesChanged, { id: imageId });
  }

  private async toDto(canary: ImageCanary): Promise<CanaryDto> {
    return {
      product: canary.product,
      imageId: canary.imageId,
      version: canary.image?.version ?? '',
      units: canary.unitLimit,
      serials: canary.serials,
      assigned: canary.assigned,
      startedAt: canary.startedAt.toISOString(),
      startedBy: canary.startedBy,
      outcome: await this.outcomes.of(canary.imageId, canary.startedAt),
    };
  }
}

function canaryRunning(product: ProductCode): ConflictException {
  return new ConflictException(`A ${product} canary is running already: promote or abandon it first`);
}
