import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageDto } from '@rpi-deploy/contracts';
import { buildPiOsImage } from '@rpi-deploy/test-kit';
import { apiLogin, bearer, signIn } from './support/session';

/**
 * The maintainer's release tools on the Images page, on two real Pi-OS-shaped RXP2 versions:
 * release notes written and rendered (raw HTML shown as text), the changes between the two
 * versions with their package diff, and generalising one into a new version.
 */
test('writes release notes, compares two versions and generalises one', async ({ page, request }) => {
  test.setTimeout(240_000); // two file systems to build, three uploads through the chunk store
  // Rendered notes go through [innerHTML]: they must not trip the Content-Security-Policy either.
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const admin = await apiLogin(request);
  const headers = bearer(admin);
  const work = mkdtempSync(join(tmpdir(), 'e2e-release-'));
  const stamp = Date.now();
  const [older, newer] = [`rn-${stamp}-1`, `rn-${stamp}-2`];
  try {
    const upload = async (version: string, packages: Record<string, string>): Promise<ImageDto> => {
      const image = buildPiOsImage(work, {
        name: `${version}.img`,
        sizeMiB: 64,
        bootSizeMiB: 36,
        randomDataMiB: 1,
        dpkgPackages: packages,
        unitTraces: true,
      });
      const answer = await request.post('/api/images', {
        headers,
        multipart: {
          product: 'RXP2',
          version,
          file: { name: `${version}.img`, mimeType: 'application/octet-stream', buffer: readFileSync(image.path) },
        },
        timeout: 120_000,
      });
      expect(answer.status(), await answer.text()).toBe(201);
      return (await answer.json()) as ImageDto;
    };
    await upload(older, { libc6: '2.36-9+deb12u4', nano: '7.2-1' });
    await upload(newer, { libc6: '2.36-9+deb12u7', 'recorder-agent': '2.0.0-1' });

    await signIn(page, admin);
    await page.goto('/images');

    // Release notes: written as markdown, rendered, a script in them shown as text and never run.
    await page.getByRole('button', { name: `Release notes of RXP2 ${newer}` }).click();
    const notesDialog = page.getByRole('dialog');
    await notesDialog.getByRole('button', { name: 'Edit notes' }).click();
    await notesDialog
      .getByRole('textbox', { name: 'Release notes markdown' })
      .fill('## What is new\n\n- **newer** libc6\n\n<script>window.__notesScriptRan = true</script>');
    await notesDialog.getByRole('button', { name: 'Save notes' }).click();
    await expect(page.getByText(`Release notes of RXP2 ${newer} saved`)).toBeVisible();
    await page.getByRole('button', { name: `Release notes of RXP2 ${newer}` }).click();
    const rendered = page.getByTestId('rendered-notes');
    await expect(rendered.getByRole('heading', { name: 'What is new' })).toBeVisible();
    await expect(rendered.locator('strong')).toHaveText('newer');
    await expect(rendered).toContainText('<script>window.__notesScriptRan = true</script>');
    await expect(rendered.locator('script')).toHaveCount(0);
    expect(await page.evaluate(() => (window as { __notesScriptRan?: boolean }).__notesScriptRan)).toBeUndefined();
    expect(violations).toEqual([]);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    // The changes from the version before: sizes, chunks shared and the package diff.
    await page.getByRole('button', { name: `Changes in RXP2 ${newer}` }).click();
    const changes = page.getByTestId('package-changes');
    await expect(changes).toContainText('Packages added (1)', { timeout: 30_000 });
    await expect(changes).toContainText('recorder-agent 2.0.0-1');
    await expect(changes).toContainText('Packages removed (1)');
    await expect(changes).toContainText('nano 7.2-1');
    await expect(changes).toContainText('libc6 2.36-9+deb12u4 → 2.36-9+deb12u7');
    await expect(page.getByTestId('shared-bytes')).toContainText('Chunks shared:');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    // Generalise the older version: identity always cleared, one candidate chosen.
    await page.getByRole('button', { name: `Generalise RXP2 ${older}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('always-cleared')).toContainText('/etc/machine-id');
    await expect(dialog.getByTestId('always-cleared')).toContainText('/etc/ssh/ssh_host_ed25519_key');
    await dialog.getByRole('checkbox', { name: /\/root\/\.bash_history/ }).check();
    await expect(dialog.getByRole('checkbox', { name: /\/var\/log\/syslog\.1/ })).not.toBeChecked();
    await dialog.getByRole('textbox', { name: 'New version' }).fill(`${older}-g`);
    await dialog.getByRole('button', { name: 'Generalise' }).click();
    await expect(page.getByText(`RXP2 ${older}-g stored: generalised from ${older}`)).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('table', { name: 'RXP2 images' })).toContainText(`${older}-g`);
    const listed = (await (await request.get('/api/images?product=RXP2', { headers })).json()) as ImageDto[];
    expect(listed.find((image) => image.version === `${older}-g`)?.description).toMatch(/Generalised from/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
