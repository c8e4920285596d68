import { expect, test, type Page } from '@playwright/test';
import type { PreflightReportDto } from '@rpi-deploy/contracts';
import { OwnServer } from './support/own-server';
import { apiLogin, bearer, signIn } from './support/session';
import { tinyDiskImage } from './support/tiny-image';

/** The list item of one check on the Netboot page, found by its title. */
const checkItem = (page: Page, title: string) =>
  page.getByRole('region', { name: 'Pre-flight checklist' }).getByRole('listitem').filter({ hasText: title });

test("the pre-flight checklist shows every check's state and, for a failed one, its fix", async ({
  page,
  playwright,
}) => {
  test.setTimeout(90_000);
  // A server of its own: which images are active must not depend on the other suites.
  const server = await OwnServer.create();
  try {
    await server.start();
    const request = await playwright.request.newContext({ baseURL: server.origin });
    const session = await apiLogin(request);
    const headers = bearer(session);
    const report = async () =>
      (await (await request.get('/api/netboot/preflight', { headers })).json()) as PreflightReportDto;

    await signIn(page, session, server.origin);
    await page.goto(`${server.origin}/netboot`);
    const before = await report();
    expect(before.checks.some((check) => check.ok)).toBe(true);
    expect(before.checks.some((check) => !check.ok)).toBe(true);
    await expect(page.getByText('Some checks failed')).toBeVisible();
    for (const check of before.checks) {
      const item = checkItem(page, check.title);
      await expect(item).toHaveCount(1);
      await expect(item.getByRole('img', { name: check.ok ? 'passed' : 'failed' })).toBeVisible();
      if (check.ok) {
        await expect(item).not.toContainText('Fix:');
      } else {
        await expect(item).toContainText(`Fix: ${check.fix}`);
      }
    }
    const activeImages = before.checks.find((check) => check.id === 'active-images')!;
    expect(activeImages.ok).toBe(false);

    // Fix one: upload and activate an image, run the checks again; that line turns to passed.
    const upload = await request.post('/api/images', {
      headers,
      multipart: {
        product: 'KXP2',
        version: '1.0.0',
        file: { name: 'kxp2.img', mimeType: 'application/octet-stream', buffer: tinyDiskImage() },
      },
    });
    expect(upload.status(), await upload.text()).toBe(201);
    const image = (await upload.json()) as { id: string };
    expect((await request.post(`/api/images/${image.id}/activate`, { headers })).status()).toBe(200);
    await page.getByRole('button', { name: 'Run checks again' }).click();
    const fixed = checkItem(page, activeImages.title);
    await expect(fixed.getByRole('img', { name: 'passed' })).toBeVisible();
    await expect(fixed).toContainText('KXP2: 1.0.0');
    await expect(fixed).not.toContainText('Fix:');
  } finally {
    await server.dispose();
  }
});
