import { copyFile, link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PartitionDto } from '@rpi-deploy/contracts';
import { parseImageBootConfig } from './boot-config';
import { FatPartition } from './fat-partition';

/** Thrown when an image or the build lacks something a Pi 5 needs: the operator must act (409). */
export class BootSetError extends Error {}

/** Files every Pi 5 netboot needs besides the kernel (docs/pi5-netboot.md §3). */
export const REQUIRED_BOOT_FILES = ['bcm2712-rpi-5-b.dtb', 'overlays/overlay_map.dtb', 'overlays/bcm2712d0.dtbo'];
export const INITRAMFS_NAME = 'initramfs.img';
const FAT_TYPES = new Set(['0b', '0c', '0e', '06', 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7']);

export interface BootSetSource {
  label: string;
  imagePath: string;
  partitions: PartitionDto[];
}

export interface BootSetTemplates {
  configTxt: string;
  cmdlineTxt: string;
}

/** A folder's boot files (paths relative to it) and what its config.txt is rendered with. */
export interface BootSet {
  files: string[];
  kernel: string;
  deviceTreeLines: string[];
}

/** The image's FAT boot partition, where the Pi's firmware, kernel and device trees are. */
export function bootPartition(partitions: PartitionDto[]): PartitionDto | undefined {
  return partitions.find((partition) => FAT_TYPES.has(partition.type.toLowerCase()));
}

/**
 * Writes into `folder` what a Pi 5 reads over TFTP: kernel, device trees and overlays taken from
 * the image's FAT boot partition, the initramfs, and config.txt/cmdline.txt from the templates.
 */
export async function writeBootSet(
  folder: string,
  source: BootSetSource,
  initramfsPath: string,
  templates: BootSetTemplates,
  values: { server: string; deploy: string },
): Promise<BootSet> {
  const boot = bootPartition(source.partitions);
  if (!boot) throw new BootSetError(`${source.label} has no FAT boot partition`);
  const fat = new FatPartition(source.imagePath, boot.startBytes);
  const configText = (await fat.read('config.txt'))?.toString('utf8') ?? '';
  const imageConfig = parseImageBootConfig(configText);
  const rootFiles = await fat.list('');
  const kernel = imageConfig.kernel ?? (rootFiles.includes('kernel_2712.img') ? 'kernel_2712.img' : 'kernel8.img');

  const wanted = new Set([
    kernel,
    ...REQUIRED_BOOT_FILES,
    // Every Pi 5 family device tree (CM5, Pi 500, D0 boards): small, and the firmware picks.
    ...rootFiles.filter((name) => /^bcm2712.*\.dtb$/.test(name)),
    ...imageConfig.overlays.map((name) => `overlays/${name}.dtbo`),
  ]);
  const available = new Set([...rootFiles, ...(await fat.list('overlays')).map((name) => `overlays/${name}`)]);
  const missing = [...wanted].filter((file) => !available.has(file));
  if (missing.length > 0) {
    throw new BootSetError(
      `${source.label} lacks ${missing.join(', ')} in its boot partition: a Pi 5 cannot netboot without them`,
    );
  }
  const initramfs = await readFile(initramfsPath).catch(() => undefined);
  if (!initramfs) {
    throw new BootSetError(`The netboot initramfs ${initramfsPath} is missing: build it with npm run build:initramfs`);
  }

  const files: string[] = [];
  for (const file of [...wanted].sort()) {
    await mkdir(dirname(join(folder, file)), { recursive: true });
    await fat.copyTo(file, join(folder, file));
    files.push(file);
  }
  await writeFile(join(folder, INITRAMFS_NAME), initramfs);
  files.push(INITRAMFS_NAME);
  const set = { files, kernel, deviceTreeLines: imageConfig.deviceTreeLines };
  await writeBootConfig(folder, set, templates, values);
  return set;
}

/** config.txt and cmdline.txt of a folder, from the templates. */
export async function writeBootConfig(
  folder: string,
  set: BootSet,
  templates: BootSetTemplates,
  values: { server: string; deploy: string },
): Promise<void> {
  const fill = (template: string, fields: Record<string, string>) =>
    template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => fields[name] ?? whole);
  await writeFile(
    join(folder, 'config.txt'),
    fill(templates.configTxt, {
      kernel: set.kernel,
      initramfs: INITRAMFS_NAME,
      deviceTree: set.deviceTreeLines.join('\n'),
    }),
  );
  // cmdline.txt is one line: the kernel reads nothing after the first newline.
  const cmdline = fill(templates.cmdlineTxt, values).split('\n')[0].trim();
  await writeFile(join(folder, 'cmdline.txt'), `${cmdline}\n`);
}

/** Copies a folder's boot files into another folder (hard links when possible: no extra space). */
export async function linkBootFiles(from: string, to: string, set: BootSet): Promise<void> {
  for (const file of set.files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await link(join(from, file), join(to, file)).catch(() => copyFile(join(from, file), join(to, file)));
  }
}
