import { ConflictException, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { Repository } from 'typeorm';
import { PRODUCT_CODES, type NetbootStatusDto, type ProductCode } from '@rpi-deploy/contracts';
import { AppConfig } from '../../config/app-config';
import { ClusterSignals } from '../../database/cluster-signals';
import { CaptureMarks } from '../../images/capture/capture-marks';
import { ImageChanges } from '../../images/image-changes';
import type { Image } from '../../images/image.entity';
import { ImagesService } from '../../images/images.service';
import {
  bootPartition,
  BootSetError,
  INITRAMFS_NAME,
  linkBootFiles,
  REQUIRED_BOOT_FILES,
  writeBootConfig,
  writeBootSet,
  type BootSet,
} from './boot-set';
import { NetbootUnit } from './netboot-unit.entity';

const MANIFEST = 'rpi-deploy-release.json';
/** Releases kept besides the current one: a Pi half-way through its boot files finishes from its old one. */
const RELEASES_KEPT = 2;

interface ReleaseManifest {
  syncedAt: string;
  images: { product: ProductCode; imageId: number; version: string }[];
  units: { serial: string; product: ProductCode | null; venue: string | null; capture?: boolean }[];
  files: string[];
}

/**
 * The TFTP root: a symlink to the current release folder, replaced atomically (rename of a new
 * symlink over the old one), so no Pi ever reads a half-updated root. Each release is built
 * complete beside the others from the active images and the templates, then switched to.
 */
@Injectable()
export class TftpRootService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('TftpRoot');
  private readonly root: string;
  private readonly releases: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly subscriptions: Subscription[] = [];
  private autoSync?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly images: ImagesService,
    @InjectRepository(NetbootUnit) private readonly units: Repository<NetbootUnit>,
    private readonly imageChanges: ImageChanges,
    private readonly cluster: ClusterSignals,
    private readonly captures: CaptureMarks,
  ) {
    this.root = config.netboot.tftpRoot;
    this.releases = `${this.root}.releases`;
  }

  onModuleInit(): void {
    this.subscriptions.push(
      // Activation or rollback changes what Pis must boot, and a capture mark (set, or cleared by
      // its capture) what one unit boots, on every host: each instance keeps its own root (dnsmasq
      // runs beside it), so all of them hear of it and follow.
      this.imageChanges.changed$.subscribe(() => this.announceChange()),
      this.captures.changed$.subscribe(() => this.announceChange()),
      this.cluster.on('netboot').subscribe(() => {
        clearTimeout(this.autoSync);
        this.autoSync = setTimeout(() => void this.followDatabase(), 300);
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    clearTimeout(this.autoSync);
    await this.queue.catch(() => undefined);
  }

  /** Every instance (this one too) brings its root in line with the active images and unit settings. */
  announceChange(): void {
    this.cluster.announce('netboot').catch((error: Error) => {
      this.logger.warn(`Other instances not told of a netboot change (${error.message}); they follow on reconnection`);
      void this.followDatabase();
    });
  }

  /** Builds a new release from the active images and switches the root to it. One at a time. */
  sync(): Promise<ReleaseManifest> {
    const run = this.queue.then(() => this.buildAndSwitch());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async status(): Promise<NetbootStatusDto['tftp']> {
    const manifest = await this.currentManifest();
    const missing: string[] = [];
    if (manifest) {
      for (const file of [...REQUIRED_BOOT_FILES, INITRAMFS_NAME, 'config.txt', 'cmdline.txt']) {
        if (!(await stat(join(this.root, file)).catch(() => null))) missing.push(file);
      }
    } else {
      missing.push('everything: run `rpi-deploy netboot sync-tftp`');
    }
    return {
      root: this.root,
      complete: manifest !== null && missing.length === 0,
      syncedAt: manifest?.syncedAt ?? null,
      images: (manifest?.images ?? []).map((image) => ({ ...image, imageId: String(image.imageId) })),
      missing,
    };
  }

  async currentManifest(): Promise<ReleaseManifest | null> {
    const text = await readFile(join(this.root, MANIFEST), 'utf8').catch(() => null);
    return text ? (JSON.parse(text) as ReleaseManifest) : null;
  }

  /** Once the root is set up: a new release when the active images or unit folders differ from it. */
  private async followDatabase(): Promise<void> {
    const manifest = await this.currentManifest();
    if (!manifest) return;
    const active = await this.activeImages();
    const units = await this.unitFolders();
    const sameImages =
      active.length === manifest.images.length &&
      active.every((image) => manifest.images.some((known) => known.imageId === image.id));
    const sameUnits = JSON.stringify(units) === JSON.stringify(manifest.units);
    if (sameImages && sameUnits) return;
    try {
      await this.sync();
      this.logger.log(
        `TFTP root follows the database: ${active.map((i) => `${i.product} ${i.version}`).join(', ')}, ${units.length} unit folders`,
      );
    } catch (error) {
      this.logger.warn(`TFTP root not updated after a netboot change: ${(error as Error).message}`);
    }
  }

  /** The units with folders of their own: those with settings, and those marked for a capture. */
  private async unitFolders(): Promise<ReleaseManifest['units']> {
    const units = await this.units.find({ order: { serial: 'ASC' } });
    const marked = (await this.captures.list()).map((mark) => mark.serial);
    return withCaptureMarks(units, marked).map(({ serial, product, venue, capture }) => ({
      serial,
      product,
      venue,
      capture,
    }));
  }

  private async activeImages(): Promise<Image[]> {
    const found = await Promise.all(PRODUCT_CODES.map((product) => this.images.active(product)));
    return found.filter((image): image is Image => image !== null);
  }

  private async buildAndSwitch(): Promise<ReleaseManifest> {
    const active = await this.activeImages();
    if (active.length === 0) {
      throw new ConflictException('No active image: upload and activate an image first, then sync the TFTP root');
    }
    const current = await lstat(this.root).catch(() => null);
    if (current && !current.isSymbolicLink()) {
      throw new ConflictException(
        `${this.root} is a real folder; sync-tftp manages TFTP_ROOT as a symlink to releases in ${this.releases}: move it away first`,
      );
    }
    // The root boots the most recently activated image; units of the other product get folders.
    const primary = [...active].sort((a, b) => (b.activatedAt?.getTime() ?? 0) - (a.activatedAt?.getTime() ?? 0))[0];
    const units = await this.unitFolders();
    // Unique, and in time order by name (pruning sorts on it): never the name of the live release.
    const id = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
    const building = join(this.releases, `.building-${id}`);
    const scratch = join(this.releases, `.scratch-${id}`);
    await mkdir(building, { recursive: true });
    await mkdir(scratch, { recursive: true });
    try {
      const templates = {
        configTxt: await readFile(join(this.config.netboot.templateDir, 'config.txt'), 'utf8'),
        cmdlineTxt: await readFile(join(this.config.netboot.templateDir, 'cmdline.txt'), 'utf8'),
      };
      const server = this.config.deployment.publicUrl;
      const initramfs = join(this.config.netboot.buildDir, INITRAMFS_NAME);
      const write = async (folder: string, image: Image, deploy: string) => {
        // With an S3 store, only the boot partition comes to this host, for mtools to read.
        const boot = bootPartition(image.partitionTable.partitions);
        const imagePath = boot
          ? await this.images.localRange(
              image,
              { start: boot.startBytes, end: boot.startBytes + boot.sizeBytes - 1 },
              join(scratch, image.filename),
            )
          : this.images.filePath(image);
        return writeBootSet(
          folder,
          {
            label: `The active ${image.product} image ${image.version}`,
            imagePath,
            partitions: image.partitionTable.partitions,
          },
          initramfs,
          templates,
          { server, deploy },
        );
      };
      const rootSet = await write(building, primary, '');
      // Per product, boot files are extracted once; unit folders link to them.
      const setsByProduct = new Map<ProductCode, { folder: string; set: BootSet }>([
        [primary.product, { folder: building, set: rootSet }],
      ]);
      for (const unit of units) {
        const folder = join(building, unit.serial);
        const deploy = [
          unit.product && ` deploy.product=${unit.product}`,
          unit.venue && ` deploy.venue=${unit.venue}`,
          unit.capture && ' deploy.mode=capture',
        ]
          .filter(Boolean)
          .join('');
        const product = unit.product ?? primary.product;
        const image = active.find((candidate) => candidate.product === product);
        if (!image) throw new BootSetError(`Unit ${unit.serial} boots ${product}, which has no active image`);
        const extracted = setsByProduct.get(product);
        if (extracted) {
          await linkBootFiles(extracted.folder, folder, extracted.set);
          await writeBootConfig(folder, extracted.set, templates, { server, deploy });
        } else {
          setsByProduct.set(product, { folder, set: await write(folder, image, deploy) });
        }
      }
      const manifest: ReleaseManifest = {
        syncedAt: new Date().toISOString(),
        images: active.map((image) => ({ product: image.product, imageId: image.id, version: image.version })),
        units,
        files: rootSet.files,
      };
      await writeFile(join(building, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      // dnsmasq serves as an unprivileged user: everything world-readable.
      await makeWorldReadable(building);

      await rename(building, join(this.releases, id));
      const next = `${this.root}.next-${process.pid}`;
      await rm(next, { force: true });
      await symlink(join(basename(this.releases), id), next);
      await rename(next, this.root);
      await this.pruneReleases(id);
      this.logger.log(
        `TFTP root switched to release ${id} (${primary.product} ${primary.version}, ${units.length} unit folders)`,
      );
      return manifest;
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      if (error instanceof BootSetError) throw new ConflictException(error.message);
      throw error;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async pruneReleases(current: string): Promise<void> {
    const names = (await readdir(this.releases)).filter((name) => !name.startsWith('.') && name !== current).sort();
    for (const name of names.slice(0, Math.max(0, names.length - RELEASES_KEPT))) {
      await rm(join(this.releases, name), { recursive: true, force: true });
    }
  }

  /** Where the current release lives (for pre-flight checks). */
  async currentRelease(): Promise<string | null> {
    const target = await readlink(this.root).catch(() => null);
    return target ? join(dirname(this.root), target) : null;
  }
}

async function makeWorldReadable(folder: string): Promise<void> {
  await chmod(folder, 0o755);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await makeWorldReadable(path);
    else await chmod(path, 0o644);
  }
}

/** The units with their own folder: those with settings, and those marked to capture their card. */
function withCaptureMarks(
  units: NetbootUnit[],
  marked: string[],
): Array<Pick<NetbootUnit, 'serial' | 'product' | 'venue'> & { capture: boolean }> {
  const all = units.map(({ serial, product, venue }) => ({ serial, product, venue, capture: marked.includes(serial) }));
  for (const serial of marked) {
    if (!units.some((unit) => unit.serial === serial)) all.push({ serial, product: null, venue: null, capture: true });
  }
  return all.sort((a, b) => a.serial.localeCompare(b.serial));
}
