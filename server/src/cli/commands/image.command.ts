import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatBytes, PRODUCT_CODES, type ImageConversionDto, type ImageDto } from '@rpi-deploy/contracts';
import { CliError } from '../api-client';
import type { ContextFactory } from '../context';
import { uploadMultipart } from '../multipart-upload';
import { printRows } from '../output';
import { imageCanaryCommand } from './image-canary.command';
import { imageGeneraliseCommand } from './image-generalise.command';

const MB = 1024 * 1024;
/** How often `image convert` asks how far the conversion has come (the server publishes every 500 ms). */
const CONVERT_POLL_MS = 500;

function imageId(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected an image id (a whole number)');
  return Number(value);
}

export function imageCommand(context: ContextFactory): Command {
  const image = new Command('image').description('master images: upload, list, activate, roll back, delete');

  image
    .command('upload')
    .description('upload an image (raw .img, or .img.gz/.xz/.zst) with a progress bar')
    .argument('<file>', 'path of the image file')
    .addOption(new Option('--product <code>', 'product').choices(PRODUCT_CODES).makeOptionMandatory())
    .requiredOption('--version <version>', 'version string, e.g. 1.4.0')
    .option('--description <text>', 'what changed')
    .option('--activate', 'make it the active image once uploaded')
    .action(
      async (
        file: string,
        options: { product: string; version: string; description?: string; activate?: boolean },
        command: Command,
      ) => {
        const { api, output, json } = context(command);
        const token = await api.accessToken();
        const bar = new SingleBar({
          format: 'Uploading [{bar}] {percentage}% | {sentText} of {totalText} | {speed} MB/s | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          noTTYOutput: false,
        });
        const started = Date.now();
        let barStarted = false;
        let result;
        try {
          result = await uploadMultipart({
            url: `${api.baseUrl}/api/images`,
            token,
            fields: {
              product: options.product,
              version: options.version,
              ...(options.description ? { description: options.description } : {}),
            },
            filePath: file,
            onProgress: ({ sent, total }) => {
              const payload = {
                sentText: formatBytes(sent),
                totalText: formatBytes(total),
                speed: (sent / MB / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(1),
              };
              if (!json && !barStarted) {
                bar.start(total, sent, payload);
                barStarted = true;
              } else if (barStarted) bar.update(sent, payload);
            },
          });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw new CliError(`No such file: ${file}`);
          throw new CliError(`Upload failed: ${(error as Error).message}`);
        } finally {
          if (barStarted) bar.stop();
        }
        if (result.status !== 201) {
          const message = (result.body as { message?: string | string[] })?.message;
          throw new CliError(`Upload refused: ${[message].flat().join('; ')} (HTTP ${result.status})`);
        }
        let uploaded = result.body as ImageDto;
        if (options.activate) uploaded = await api.post<ImageDto>(`/api/images/${uploaded.id}/activate`);
        output.out(
          json
            ? JSON.stringify(uploaded, null, 2)
            : `Image ${uploaded.id}: ${uploaded.product} ${uploaded.version}, ${formatBytes(uploaded.size)} ` +
                `(${formatBytes(uploaded.mappedBytes)} mapped), sha256 ${uploaded.sha256}` +
                (uploaded.active ? ', now active' : ''),
        );
      },
    );

  image
    .command('list')
    .description('list images, newest first')
    .addOption(new Option('--product <code>', 'only this product').choices(PRODUCT_CODES))
    .action(async (options: { product?: string }, command: Command) => {
      const { api, output, json } = context(command);
      const query = options.product ? `?product=${options.product}` : '';
      printRows(
        output,
        await api.get<ImageDto[]>(`/api/images${query}`),
        [
          ['id', (i) => i.id],
          ['product', (i) => i.product],
          ['version', (i) => i.version],
          ['size', (i) => formatBytes(i.size)],
          ['mapped', (i) => formatBytes(i.mappedBytes)],
          ['sha256', (i) => i.sha256.slice(0, 16)],
          ['active', (i) => (i.active ? 'yes' : '')],
          ['uploaded', (i) => `${i.uploadedAt} by ${i.uploadedBy}`],
        ],
        json,
      );
    });

  image
    .command('show')
    .description('one image in detail')
    .argument('<id>', 'image id', imageId)
    .action(async (id: number, _options: object, command: Command) => {
      const { api, output, json } = context(command);
      const shown = await api.get<ImageDto>(`/api/images/${id}`);
      if (json) {
        output.out(JSON.stringify(shown, null, 2));
        return;
      }
      output.out(
        [
          `Image ${shown.id}: ${shown.product} ${shown.version}${shown.active ? ' (active)' : ''}`,
          `  description  ${shown.description ?? ''}`,
          `  file         ${shown.filename}`,
          `  size         ${formatBytes(shown.size)} (${formatBytes(shown.mappedBytes)} mapped)`,
          `  upload       ${formatBytes(shown.uploadSize)} ${shown.uploadCompression}`,
          `  sha256       ${shown.sha256}`,
          `  uploaded     ${shown.uploadedAt} by ${shown.uploadedBy}`,
        ].join('\n'),
      );
    });

  image
    .command('activate')
    .description('make an image the one Pis of its product get')
    .argument('<id>', 'image id', imageId)
    .action(async (id: number, _options: object, command: Command) => {
      const { api, output } = context(command);
      const activated = await api.post<ImageDto>(`/api/images/${id}/activate`);
      output.out(`${activated.product} ${activated.version} (image ${activated.id}) is now active`);
    });

  image
    .command('rollback')
    .description('re-activate the image that was active before the current one')
    .addOption(new Option('--product <code>', 'product').choices(PRODUCT_CODES).makeOptionMandatory())
    .action(async (options: { product: string }, command: Command) => {
      const { api, output } = context(command);
      const activated = await api.post<ImageDto>('/api/images/rollback', { product: options.product });
      output.out(`Rolled back: ${activated.product} ${activated.version} (image ${activated.id}) is active again`);
    });

  image
    .command('convert')
    .description('put an image stored before the chunk store into it (waits, with a progress bar)')
    .argument('<id>', 'image id', imageId)
    .option('--no-wait', 'only start the conversion')
    .action(async (id: number, options: { wait: boolean }, command: Command) => {
      const { api, output, json } = context(command);
      let state = await api.post<ImageConversionDto>(`/api/images/${id}/chunks`);
      if (!options.wait) {
        output.out(json ? JSON.stringify(state, null, 2) : `Image ${id}: conversion ${state.state}`);
        return;
      }
      const bar = new SingleBar({
        format: 'Converting [{bar}] {percentage}% | {doneText} of {totalText}',
        stream: process.stderr,
        hideCursor: true,
        noTTYOutput: false,
      });
      const figures = (conversion: ImageConversionDto) => ({
        doneText: formatBytes(conversion.doneBytes),
        totalText: formatBytes(conversion.totalBytes),
      });
      if (!json) bar.start(state.totalBytes, state.doneBytes, figures(state));
      try {
        while (state.state === 'queued' || state.state === 'running') {
          await new Promise((resolve) => setTimeout(resolve, CONVERT_POLL_MS));
          const image = await api.get<ImageDto>(`/api/images/${id}`);
          if (!image.conversion) throw new CliError(`The conversion of image ${id} is gone: did the server restart?`);
          state = image.conversion;
          if (!json) bar.update(state.doneBytes, figures(state));
        }
      } finally {
        if (!json) bar.stop();
      }
      if (state.state === 'failed') throw new CliError(state.error ?? `Converting image ${id} failed`);
      const converted = await api.get<ImageDto>(`/api/images/${id}`);
      output.out(
        json
          ? JSON.stringify(converted, null, 2)
          : `Image ${id}: ${converted.product} ${converted.version} is in the chunk store, ` +
              `${converted.chunks?.chunkCount} chunks, ${formatBytes(converted.chunks?.storedBytes ?? 0)} stored`,
      );
    });

  image
    .command('delete')
    .description('delete an image that is not active')
    .argument('<id>', 'image id', imageId)
    .action(async (id: number, _options: object, command: Command) => {
      const { api, output } = context(command);
      await api.delete(`/api/images/${id}`);
      output.out(`Deleted image ${id}`);
    });

  image.addCommand(imageCanaryCommand(context));
  image.addCommand(imageGeneraliseCommand(context));
  return image;
}
