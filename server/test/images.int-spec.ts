import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageDto } from '@rpi-deploy/contracts';
import { uploadMultipart } from '../src/cli/multipart-upload';
import { buildMbrImage, type TestImage } from './support/mbr-image';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';
import { BLOCK, mappedBlocks } from './support/image-blocks';

function parseBmap(xml: string) {
  const ranges = [...xml.matchAll(/<Range chksum="([0-9a-f]{64})">\s*(\d+)(?:-(\d+))?\s*<\/Range>/g)].map((m) => ({
    sha256: m[1],
    first: Number(m[2]),
    last: Number(m[3] ?? m[2]),
  }));
  const field = (name: string) => Number(new RegExp(`<${name}>\\s*(\\d+)\\s*</${name}>`).exec(xml)![1]);
  const checksum = /<BmapFileChecksum>\s*([0-9a-f]{64})\s*<\/BmapFileChecksum>/.exec(xml)![1];
  return {
    ranges,
    imageSize: field('ImageSize'),
    blockSize: field('BlockSize'),
    blocksCount: field('BlocksCount'),
    mappedCount: field('MappedBlocksCount'),
    checksum,
  };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe.each(testDatabases())('images on $name', (database) => {
  let t: TestServer;
  let token: string;
  let viewerToken: string;
  let work: string;
  let image: TestImage;
  let imageBytes: Buffer;
  const forms: Record<string, string> = {};

  const upload = (filePath: string, fields: Record<string, string>, as = token) =>
    uploadMultipart({ url: `${t.management}/api/images`, token: as, fields, filePath });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'images-test-'));
    image = buildMbrImage(work);
    imageBytes = readFileSync(image.path);
    forms['none'] = image.path;
    execFileSync('xz', ['-k', '-T0', '-3', image.path]);
    forms['xz'] = `${image.path}.xz`;
    execFileSync('zstd', ['-q', '-k', image.path, '-o', `${image.path}.zst`]);
    forms['zstd'] = `${image.path}.zst`;
    execFileSync('sh', ['-c', `gzip -c '${image.path}' > '${image.path}.gz'`]);
    forms['gzip'] = `${image.path}.gz`;

    t = await bootTestServer({ DATABASE_URL: await database.create(), IMAGE_UPLOAD_MAX_BYTES: '1100M' });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    await api(t.management, '/api/users', {
      method: 'POST',
      token,
      body: { username: 'vic', password: 'viewer-password', role: 'viewer' },
    });
    viewerToken = (await login(t.management, 'vic', 'viewer-password')).accessToken;
  });

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
    rmSync(work, { recursive: true, force: true });
  });

  const uploaded: Record<string, ImageDto> = {};

  it.each(['none', 'xz', 'zstd', 'gzip'])('takes a %s image and describes it exactly', async (compression) => {
    const response = await upload(forms[compression], {
      product: 'KXP2',
      version: `1.0.0-${compression}`,
      description: `as ${compression}`,
    });
    expect(response.status).toBe(201);
    const body = response.body as ImageDto;
    uploaded[compression] = body;
    expect(body).toMatchObject({
      product: 'KXP2',
      version: `1.0.0-${compression}`,
      description: `as ${compression}`,
      size: image.size,
      sha256: sha256(imageBytes),
      uploadCompression: compression,
      uploadSize: statSync(forms[compression]).size,
      mappedBytes: mappedBlocks(imageBytes).length * BLOCK,
      uploadedBy: 'admin',
      active: false,
      activatedAt: null,
    });
    expect(body.filename).toMatch(/^kxp2-[0-9a-f]{12}\.img$/);
    expect(body.partitionTable).toEqual({
      scheme: 'mbr',
      partitions: [
        {
          index: 1,
          type: '0c',
          typeName: 'FAT32 (LBA)',
          startBytes: image.bootStart,
          sizeBytes: image.bootSize,
          bootable: true,
        },
        {
          index: 2,
          type: '83',
          typeName: 'Linux',
          startBytes: image.rootStart,
          sizeBytes: image.size - image.rootStart,
          bootable: false,
        },
      ],
    });
  });

  it("stores the image sparse, readable by the owner and the folder's group only, under a name of its own", () => {
    const folder = join(t.dataDir, 'images');
    const stored = statSync(join(folder, uploaded['xz'].filename));
    expect(stored.size).toBe(image.size);
    expect(stored.blocks * 512).toBeLessThan(image.size / 2);
    // nginx's worker reads them through the folder's group (install-server.sh), others never.
    expect(stored.mode & 0o777).toBe(0o640);
    expect(statSync(join(folder, `${uploaded['xz'].filename}.bmap`)).mode & 0o777).toBe(0o640);
    expect(statSync(folder).mode & 0o777).toBe(0o750);
    expect(readFileSync(join(folder, uploaded['xz'].filename)).equals(imageBytes)).toBe(true);
    expect(readdirSync(folder).filter((name) => name.startsWith('.upload-'))).toEqual([]);
  });

  it('publishes a block map that matches the image, checked independently', async () => {
    const response = await fetch(`${t.deployment}/images/${uploaded['none'].filename}.bmap`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    const bmap = parseBmap(xml);
    expect(bmap).toMatchObject({ imageSize: image.size, blockSize: BLOCK, blocksCount: image.size / BLOCK });
    const listed = new Set(
      bmap.ranges.flatMap((r) => Array.from({ length: r.last - r.first + 1 }, (_, i) => r.first + i)),
    );
    expect(listed).toEqual(new Set(mappedBlocks(imageBytes)));
    expect(bmap.mappedCount).toBe(listed.size);
    for (const range of bmap.ranges) {
      expect(sha256(imageBytes.subarray(range.first * BLOCK, (range.last + 1) * BLOCK))).toBe(range.sha256);
    }
    expect(sha256(xml.replace(bmap.checksum, '0'.repeat(64)))).toBe(bmap.checksum);
  });

  it('writes a block map that bmaptool itself accepts and copies byte-exactly', async () => {
    const copy = join(work, 'bmaptool-copy.img');
    const bmapFile = join(t.dataDir, 'images', `${uploaded['none'].filename}.bmap`);
    // Asynchronously: the server under test runs in this very process and must keep serving.
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile(
        'bmaptool',
        ['copy', '--bmap', bmapFile, `${t.deployment}/images/${uploaded['none'].filename}`, copy],
        (error, _stdout, errors) => {
          if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
            reject(new Error('bmaptool is missing: run bash infra/install-system-deps.sh'));
          } else if (error) reject(new Error(`bmaptool copy failed: ${errors}`));
          else resolve(errors);
        },
      ),
    );
    expect(stderr).toMatch(/copying time/);
    expect(readFileSync(copy).equals(imageBytes)).toBe(true);
  });

  /** Files this process holds open whose path contains `part` (Linux: the links in /proc/self/fd). */
  function openFilesNamed(part: string): string[] {
    return readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.includes(part) ? [target] : [];
      } catch {
        return []; // closed meanwhile
      }
    });
  }

  describe('serving to Pis', () => {
    const url = () => `${t.deployment}/images/${uploaded['none'].filename}`;
    const get = (headers: Record<string, string> = {}, method = 'GET') => fetch(url(), { method, headers });

    it('answers HEAD and GET with length, strong ETag and range support', async () => {
      const head = await get({}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(image.size));
      expect(head.headers.get('etag')).toBe(`"${sha256(imageBytes)}"`);
      expect(head.headers.get('accept-ranges')).toBe('bytes');
      const whole = Buffer.from(await (await get()).arrayBuffer());
      expect(whole.equals(imageBytes)).toBe(true);
    });

    it.each([
      ['first byte', 'bytes=0-0', 0, 0],
      ['a middle range', `bytes=5000000-5100000`, 5000000, 5100000],
      ['the last byte', `bytes=${96 * 1024 * 1024 - 1}-`, 96 * 1024 * 1024 - 1, 96 * 1024 * 1024 - 1],
      ['a suffix', 'bytes=-1000', 96 * 1024 * 1024 - 1000, 96 * 1024 * 1024 - 1],
      ['an open end', `bytes=${96 * 1024 * 1024 - 70000}-`, 96 * 1024 * 1024 - 70000, 96 * 1024 * 1024 - 1],
    ])('serves %s byte-exactly with 206', async (_name, range, start, end) => {
      const response = await get({ range });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${image.size}`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await response.arrayBuffer()).equals(imageBytes.subarray(start, end + 1))).toBe(true);
    });

    it('answers an unsatisfiable range with 416 and the size', async () => {
      const response = await get({ range: `bytes=${image.size}-${image.size + 10}` });
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe(`bytes */${image.size}`);
    });

    it('sends the whole file when If-Range names another version', async () => {
      const response = await get({ range: 'bytes=0-9', 'if-range': '"another-etag"' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(image.size));
      await response.body?.cancel();
    });

    it.each([
      '/images/..%2F..%2Frpi-deploy.sqlite',
      '/images/%2e%2e%2fsecrets%2fjwt-secret',
      '/images/../secrets/jwt-secret',
      '/images/kxp2-000000000000.img',
      '/images/test.img',
      '/images/.upload-1234',
    ])('answers %s with 404', async (path) => {
      const response = await fetch(`${t.deployment}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });

    it('serves images only on the deployment listener', async () => {
      const response = await api(t.management, `/images/${uploaded['none'].filename}`, { token });
      expect(response.status).toBe(404);
    });
  });

  describe('refusals', () => {
    it('lets only operators and admins upload', async () => {
      expect((await upload(image.path, { product: 'KXP2', version: 'v-viewer' }, viewerToken)).status).toBe(403);
      const anonymous = await fetch(`${t.management}/api/images`, { method: 'POST' });
      expect(anonymous.status).toBe(401);
    });

    it.each([
      [{ product: 'KXP9', version: '2.0' }, 400, /product must be one of KXP2, RXP2/],
      [{ product: 'KXP2', version: '../../etc' }, 400, /version must be 1-64 letters/],
      [{ product: 'KXP2' }, 400, /version/],
      [{ product: 'KXP2', version: '1.0.0-none' }, 409, /KXP2 version 1.0.0-none exists already/],
      [{ product: 'KXP2', version: '2.0', extra: 'x' }, 400, /property extra should not exist/],
    ])('refuses the fields %j (%i) and keeps nothing', async (fields, status, message) => {
      const response = await upload(image.path, fields as Record<string, string>);
      expect(response.status).toBe(status);
      expect([(response.body as { message: string | string[] }).message].flat().join('\n')).toMatch(message);
      expect((await api(t.management, '/api/images', { token })).body).toHaveLength(4);
      expect(readdirSync(join(t.dataDir, 'images')).filter((n) => n.startsWith('.upload-'))).toEqual([]);
    });

    it('refuses damaged and unsupported files with a clear message', async () => {
      const damaged = join(work, 'damaged.img.xz');
      const xz = readFileSync(forms['xz']);
      xz[Math.floor(xz.length / 2)] ^= 0xff;
      writeFileSync(damaged, xz);
      const broken = await upload(damaged, { product: 'KXP2', version: 'broken' });
      expect(broken.status).toBe(400);
      expect((broken.body as { message: string }).message).toMatch(/The compressed image is damaged: xz failed/);

      const zip = join(work, 'image.zip');
      writeFileSync(zip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5000)]));
      const zipped = await upload(zip, { product: 'KXP2', version: 'zipped' });
      expect(zipped.status).toBe(400);
      expect((zipped.body as { message: string }).message).toMatch(/zip archives are not supported/);

      const empty = join(work, 'empty.img');
      writeFileSync(empty, '');
      expect((await upload(empty, { product: 'KXP2', version: 'empty' })).status).toBe(400);

      const notMultipart = await api(t.management, '/api/images', { method: 'POST', token, body: { product: 'KXP2' } });
      expect(notMultipart.status).toBe(415);
      expect((await api(t.management, '/api/images', { token })).body).toHaveLength(4);
    });

    it('refuses an upload larger than the limit before reading it', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${t.management}/api/images`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'multipart/form-data; boundary=x',
            'content-length': String(2 * 1024 ** 3),
          },
        });
        req.on('response', (response) => {
          resolve(response.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.write('--x\r\n');
      });
      expect(status).toBe(413);
    });

    it('keeps nothing of an upload that is cut off half-way', async () => {
      const before = (await api(t.management, '/api/images', { token })).body.length;
      await new Promise<void>((resolve) => {
        const boundary = 'cut';
        const req = request(`${t.management}/api/images`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(image.size + 1000),
          },
        });
        req.on('error', () => resolve());
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="product"\r\n\r\nKXP2\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\ncut-off\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.img"\r\n\r\n`,
        );
        req.write(imageBytes.subarray(0, 10 * 1024 * 1024), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 300),
        );
      });
      // The server notices the cut and cleans up.
      for (let i = 0; i < 50 && readdirSync(join(t.dataDir, 'images')).some((n) => n.startsWith('.upload-')); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(readdirSync(join(t.dataDir, 'images')).filter((n) => n.startsWith('.upload-'))).toEqual([]);
      expect((await api(t.management, '/api/images', { token })).body).toHaveLength(before);
      // Nor does it keep the upload file open (the server runs in this process: its descriptors are ours).
      for (let i = 0; i < 50 && openFilesNamed('.upload-').length > 0; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(openFilesNamed('.upload-')).toEqual([]);
    });
  });

  describe('versions', () => {
    it('keeps exactly one active image per product, rolls back and refuses to delete the active one', async () => {
      const [a, b] = [uploaded['none'], uploaded['xz']];
      const post = (path: string, body?: unknown) => api(t.management, path, { method: 'POST', token, body });
      expect((await post(`/api/images/${a.id}/activate`)).body).toMatchObject({ id: a.id, active: true });
      expect((await post(`/api/images/${b.id}/activate`)).body).toMatchObject({ id: b.id, active: true });
      const active = () =>
        api(t.management, '/api/images?product=KXP2', { token }).then((r) =>
          r.body.filter((i: ImageDto) => i.active).map((i: ImageDto) => i.id),
        );
      expect(await active()).toEqual([b.id]);

      expect((await post('/api/images/rollback', { product: 'KXP2' })).body).toMatchObject({ id: a.id, active: true });
      expect(await active()).toEqual([a.id]);
      expect((await post('/api/images/rollback', { product: 'RXP2' })).status).toBe(409);
      expect((await post('/api/images/rollback', { product: 'nope' })).status).toBe(400);

      const refused = await api(t.management, `/api/images/${a.id}`, { method: 'DELETE', token });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/is the active KXP2 image/);
      expect((await api(t.management, `/api/images/${b.id}`, { method: 'DELETE', token: viewerToken })).status).toBe(
        403,
      );
      expect((await api(t.management, `/api/images/${b.id}`, { method: 'DELETE', token })).status).toBe(204);
      expect((await api(t.management, `/api/images/${b.id}`, { token })).status).toBe(404);
      expect((await fetch(`${t.deployment}/images/${b.filename}`)).status).toBe(404);
      expect(readdirSync(join(t.dataDir, 'images')).filter((n) => n.startsWith(b.filename))).toEqual([]);
      expect((await post('/api/images/9999/activate')).status).toBe(404);
    });

    it('switches atomically when activations race', async () => {
      const ids = [uploaded['none'].id, uploaded['zstd'].id, uploaded['gzip'].id];
      await Promise.all(
        ids.flatMap((id) =>
          [1, 2, 3].map(() => api(t.management, `/api/images/${id}/activate`, { method: 'POST', token })),
        ),
      );
      const list = (await api(t.management, '/api/images?product=KXP2', { token })).body as ImageDto[];
      expect(list.filter((i) => i.active)).toHaveLength(1);
    });
  });

  if (database.name === 'sqlite') {
    it('keeps memory flat while a 1 GiB sparse image streams in', async () => {
      const big = join(work, 'big.img');
      execFileSync('truncate', ['-s', '1G', big]);
      execFileSync('dd', [
        'if=/dev/urandom',
        `of=${big}`,
        'bs=1M',
        'count=8',
        'seek=500',
        'conv=notrunc',
        'status=none',
      ]);
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const response = await upload(big, { product: 'RXP2', version: 'big' });
      clearInterval(sampler);
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ size: 1024 ** 3, mappedBytes: 8 * 1024 * 1024 });
      process.stdout.write(`[images] 1 GiB upload: RSS grew by ${((peak - baseline) / 1024 / 1024).toFixed(0)} MiB\n`);
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    });
  }
});
