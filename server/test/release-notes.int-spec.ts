import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RELEASE_NOTES_MAX_LENGTH, type AuditPage, type ImageChangesDto, type ImageDto } from '@rpi-deploy/contracts';
import { buildPiOsImage, uploadFile } from '@rpi-deploy/test-kit';
import { ADMIN_PASSWORD, api, bootTestServer, login, type TestServer } from './support/test-server';
import { testDatabases } from './support/test-databases';

const V1_PACKAGES = {
  'base-files': '12.4+deb12u5',
  libc6: '2.36-9+deb12u4',
  'raspi-config': '20231012',
  nano: '7.2-1',
  'firmware-brcm80211': '1:20230210-5~bpo12+1',
};
const V2_PACKAGES = {
  'base-files': '12.4+deb12u5',
  libc6: '2.36-9+deb12u7',
  'raspi-config': '20240313',
  'firmware-brcm80211': '1:20230210-5',
  'recorder-agent': '2.0.0-1',
};

/** Built once for both databases: making file systems is the slow part. */
const IMAGES: Record<string, Record<string, string> | undefined> = {
  '3.0.0': V1_PACKAGES,
  '3.1.0': V2_PACKAGES,
  '3.1.1': undefined,
};
let images: string;
const built = new Map<string, string>();

beforeAll(() => {
  images = mkdtempSync(join(tmpdir(), 'release-notes-images-'));
  for (const [version, dpkgPackages] of Object.entries(IMAGES)) {
    const image = buildPiOsImage(images, {
      name: `${version}.img`,
      sizeMiB: 64,
      bootSizeMiB: 36,
      randomDataMiB: 2,
      dpkgPackages,
    });
    built.set(version, image.path);
  }
}, 300_000);

afterAll(() => rmSync(images, { recursive: true, force: true }));

/**
 * Release notes and what changed between two versions, on two real Pi-OS-shaped images whose
 * root file systems carry different dpkg status files.
 */
describe.each(testDatabases())('release notes on $name', (database) => {
  let t: TestServer;
  let token: string;
  let v1: ImageDto;
  let v2: ImageDto;
  let bare: ImageDto;

  const call = (method: string, path: string, body?: unknown) => api(t.management, path, { method, token, body });
  const upload = async (version: string): Promise<ImageDto> => {
    const answer = await uploadFile({
      url: `${t.management}/api/images`,
      token,
      fields: { product: 'RXP2', version },
      filePath: built.get(version) as string,
    });
    expect(answer.status).toBe(201);
    return answer.body as ImageDto;
  };

  beforeAll(async () => {
    t = await bootTestServer({ DATABASE_URL: await database.create() });
    token = (await login(t.management, 'admin', ADMIN_PASSWORD)).accessToken;
    v1 = await upload('3.0.0');
    v2 = await upload('3.1.0');
    bare = await upload('3.1.1');
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await database.dropAll();
  });

  it('keeps, replaces and clears the notes of a version, and refuses bad ones with 4xx', async () => {
    expect(v2.notes).toBeNull();
    const notes = '## 3.1.0\n\n- newer libc6\n- <script>alert(1)</script> stays text';
    expect((await call('PUT', `/api/images/${v2.id}/notes`, { notes })).status).toBe(204);
    expect(((await call('GET', `/api/images/${v2.id}`)).body as ImageDto).notes).toBe(notes);

    for (const bad of [{}, { notes: 42 }, { notes: 'x'.repeat(RELEASE_NOTES_MAX_LENGTH + 1) }]) {
      expect((await call('PUT', `/api/images/${v2.id}/notes`, bad)).status).toBe(400);
    }
    expect((await call('PUT', '/api/images/99999/notes', { notes: 'x' })).status).toBe(404);
    expect((await call('PUT', '/api/images/abc/notes', { notes: 'x' })).status).toBe(400);
    expect(((await call('GET', `/api/images/${v2.id}`)).body as ImageDto).notes).toBe(notes);

    expect((await call('PUT', `/api/images/${v2.id}/notes`, { notes: '  ' })).status).toBe(204);
    expect(((await call('GET', `/api/images/${v2.id}`)).body as ImageDto).notes).toBeNull();
    const audit = (await call('GET', '/api/audit?action=image.notes')).body as AuditPage;
    expect(audit.items.length).toBe(2);
  });

  it('compares two versions: sizes, chunks shared and the packages added, removed, upgraded', async () => {
    const answer = await call('GET', `/api/images/${v2.id}/changes?from=${v1.id}`);
    expect(answer.status).toBe(200);
    const changes = answer.body as ImageChangesDto;
    expect(changes.from).toMatchObject({ id: v1.id, version: '3.0.0', size: v1.size, mappedBytes: v1.mappedBytes });
    expect(changes.to).toMatchObject({ id: v2.id, version: '3.1.0', size: v2.size, mappedBytes: v2.mappedBytes });
    expect(changes.to.storedBytes).toBeGreaterThan(0);
    // Same layout and free space, different random data: some chunks are shared, not all.
    expect(changes.sharedBytes).toBeGreaterThan(0);
    expect(changes.sharedBytes).toBeLessThan(v2.mappedBytes);
    expect(changes.packages).toEqual({
      added: [{ name: 'recorder-agent', version: '2.0.0-1' }],
      removed: [{ name: 'nano', version: '7.2-1' }],
      upgraded: [
        // A backport (~bpo) sorts before the release it came from: going to the release is an upgrade.
        { name: 'firmware-brcm80211', from: '1:20230210-5~bpo12+1', to: '1:20230210-5' },
        { name: 'libc6', from: '2.36-9+deb12u4', to: '2.36-9+deb12u7' },
        { name: 'raspi-config', from: '20231012', to: '20240313' },
      ],
      downgraded: [],
      unchanged: 1,
    });
    const reverse = (await call('GET', `/api/images/${v1.id}/changes?from=${v2.id}`)).body as ImageChangesDto;
    expect(reverse.packages?.added).toEqual([{ name: 'nano', version: '7.2-1' }]);
    expect(reverse.packages?.upgraded).toEqual([]);
    expect(reverse.packages?.downgraded.map((change) => change.name)).toEqual([
      'firmware-brcm80211',
      'libc6',
      'raspi-config',
    ]);
  });

  it('has no package list for an image without dpkg status, and refuses bad comparisons', async () => {
    const answer = await call('GET', `/api/images/${bare.id}/changes?from=${v2.id}`);
    expect(answer.status).toBe(200);
    expect((answer.body as ImageChangesDto).packages).toBeNull();
    expect((await call('GET', `/api/images/${v2.id}/changes`)).status).toBe(400);
    expect((await call('GET', `/api/images/${v2.id}/changes?from=zero`)).status).toBe(400);
    expect((await call('GET', `/api/images/${v2.id}/changes?from=99999`)).status).toBe(404);
  });
});
