import { expect, test } from '@playwright/test';
import { PASSWORD_RULE } from '@rpi-deploy/contracts';
import { E2E_ADMIN_PASSWORD } from '../playwright.config';
import { logInWithForm } from './support/session';

const PAGES = [
  { link: 'Venues', heading: 'Venues' },
  { link: 'Batches', heading: 'Batches' },
  { link: 'Images', heading: 'Images' },
  { link: 'Deployments', heading: 'Deployments' },
  { link: 'Statistics', heading: 'Statistics' },
  { link: 'Netboot', heading: 'Netboot' },
  { link: 'Admin', heading: 'Admin' },
  { link: 'Dashboard', heading: 'Dashboard' },
];

/**
 * The management listener sends a strict Content-Security-Policy (no inline scripts, no framing):
 * the dashboard must work under it, every page, its styles and its live socket, with no
 * violation reported, and so must the OpenAPI UI.
 */
test('the dashboard works under its Content-Security-Policy, with no violation', async ({ page }) => {
  test.setTimeout(120_000); // eight pages and the OpenAPI UI
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );

  const first = await page.goto('/login');
  const headers = first!.headers();
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');

  await logInWithForm(page, 'admin', E2E_ADMIN_PASSWORD);
  // The live socket connects under connect-src 'self'.
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();
  for (const { link, heading } of PAGES) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
  }
  // Angular Material's run-time styles apply: the toolbar is laid out, not unstyled text.
  const toolbarHeight = await page
    .locator('mat-toolbar')
    .first()
    .evaluate((element) => element.clientHeight);
  expect(toolbarHeight).toBeGreaterThan(40);

  // The new-user form shows the password rule the server enforces.
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByText(`Use ${PASSWORD_RULE}.`).first()).toBeVisible();

  await page.goto('/api/docs/');
  await expect(page.getByRole('heading', { name: /rpi-deploy/ }).first()).toBeVisible();
  await page.waitForLoadState('networkidle');

  expect(violations).toEqual([]);
});

test('another site cannot frame the dashboard', async ({ page, baseURL }) => {
  const blocked: string[] = [];
  page.on('console', (message) => {
    if (/frame-ancestors|X-Frame-Options/i.test(message.text())) blocked.push(message.text());
  });
  // A page of another origin (about:blank via setContent) frames the dashboard's login page.
  await page.setContent(`<iframe id="framed" src="${baseURL}/login" width="800" height="600"></iframe>`);
  await expect.poll(() => blocked.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const framed = page.frames().find((frame) => frame.url().includes('/login'));
  const loginForm = framed ? await framed.locator('input').count() : 0;
  expect(loginForm).toBe(0);
});
