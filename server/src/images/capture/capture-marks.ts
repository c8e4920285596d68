import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Subject } from 'rxjs';
import type { Repository } from 'typeorm';
import type { CaptureMarkDto, ProductCode } from '@rpi-deploy/contracts';
import { ImagesService } from '../images.service';
import { CaptureMark } from './capture-mark.entity';

/**
 * Units marked to capture their card on their next netboot. The netboot module turns a mark into
 * `deploy.mode=capture` on the unit's kernel command line; the capture that uses it clears it.
 */
@Injectable()
export class CaptureMarks {
  /** A mark was set or cleared: the TFTP root follows. */
  readonly changed$ = new Subject<string>();

  constructor(
    @InjectRepository(CaptureMark) private readonly marks: Repository<CaptureMark>,
    private readonly images: ImagesService,
  ) {}

  async list(): Promise<CaptureMarkDto[]> {
    return (await this.marks.find({ order: { serial: 'ASC' } })).map(toDto);
  }

  find(serial8: string): Promise<CaptureMark | null> {
    return this.marks.findOneBy({ serial: serial8 });
  }

  /** Marks the unit; a version the product has already is refused (409) now, not after the capture. */
  async mark(serial8: string, product: ProductCode, version: string, markedBy: string): Promise<CaptureMarkDto> {
    await this.images.checkNewVersion(product, version);
    await this.marks.save(this.marks.create({ serial: serial8, product, version, markedBy }));
    this.changed$.next(serial8);
    return toDto((await this.find(serial8))!);
  }

  async clear(serial8: string): Promise<void> {
    const result = await this.marks.delete({ serial: serial8 });
    if (!result.affected) throw new NotFoundException(`Unit ${serial8} is not marked for capture`);
    this.changed$.next(serial8);
  }

  /** Puts back a mark as it was (a refused change is undone). */
  async restore(previous: CaptureMark | null, serial8: string): Promise<void> {
    if (previous) await this.marks.save(previous);
    else await this.marks.delete({ serial: serial8 });
  }
}

function toDto(mark: CaptureMark): CaptureMarkDto {
  return {
    serial: mark.serial,
    product: mark.product,
    version: mark.version,
    markedBy: mark.markedBy,
    markedAt: mark.markedAt.toISOString(),
  };
}
