import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openDialog } from './support/dialog';
import { apiLogin, signIn } from './support/session';

const CODE = `A${String(Date.now() % 1000).padStart(3, '0')}`;
const VIEWER = { username: `auditviewer${Date.now() % 100000}`, password: 'correct-horse-battery-7' };

test('an admin changes a venue and finds it on the Audit page, filtered and as CSV', async ({ page, request }) => {
  test.setTimeout(60_000);
  const admin = await apiLogin(request);
  const headers = { Authorization: `Bearer ${admin.accessToken}` };
  expect((await request.post('/api/venues', { headers, data: { code: CODE, name: 'Audit Karting' } })).status()).toBe(
    201,
  );
  await signIn(page, admin);

  // The change, made in the dashboard.
  await page.goto('/venues');
  const edit = await openDialog(page, page.getByRole('button', { name: `Edit venue ${CODE}` }), `Edit venue ${CODE}`);
  await edit.getByLabel('Name').fill('Audit Karting Arena');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('row', { name: new RegExp(CODE) })).toContainText('Audit Karting Arena');

  // The Audit page lists it, newest first, with what changed.
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit' })).toBeVisible();
  const table = page.getByRole('table', { name: 'Audit log' });
  const update = table.getByRole('row').filter({ hasText: 'venue.update' }).filter({ hasText: CODE });
  await expect(update).toHaveCount(1);
  await expect(update).toContainText('admin');
  await expect(update).toContainText('name: Audit Karting → Audit Karting Arena');
  await expect(table.getByRole('row').filter({ hasText: 'venue.create' }).filter({ hasText: CODE })).toHaveCount(1);
  await expect(table.getByRole('row').filter({ hasText: 'auth.login' }).first()).toBeVisible();

  // Filtering by action and target leaves only that change.
  await page.getByRole('combobox', { name: 'Action' }).click();
  await page.getByRole('option', { name: 'venue.update', exact: true }).click();
  await page.getByLabel('Target').fill(CODE);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(table.getByRole('row').filter({ hasText: 'auth.login' })).toHaveCount(0);
  await expect(table.getByRole('row').filter({ hasText: 'venue.create' })).toHaveCount(0);
  await expect(table.getByRole('row')).toHaveCount(2); // the header and the one change
  await expect(table.getByRole('row').nth(1)).toContainText(CODE);

  // The CSV holds what the filter shows.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('audit.csv');
  const lines = readFileSync((await download.path())!, 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(lines[0]).toBe('id,at,actor,ip,action,target_type,target_id,before,after');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`,admin,`);
  expect(lines[1]).toContain(`,venue.update,venue,${CODE},`);
  expect(lines[1]).toContain('""name"":""Audit Karting Arena""');
});

test('a viewer has no Audit page and the server refuses them the log', async ({ page, request }) => {
  const admin = await apiLogin(request);
  const created = await request.post('/api/users', {
    headers: { Authorization: `Bearer ${admin.accessToken}` },
    data: { ...VIEWER, role: 'viewer' },
  });
  expect(created.status()).toBe(201);
  const viewer = await apiLogin(request, VIEWER.username, VIEWER.password);
  await signIn(page, viewer);

  await page.goto('/dashboard');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link')).not.toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Audit', exact: true })).toHaveCount(0);

  // Typed in by hand, the address leads back to the dashboard.
  await page.goto('/audit');
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Audit' })).toHaveCount(0);

  const refused = await request.get('/api/audit', { headers: { Authorization: `Bearer ${viewer.accessToken}` } });
  expect(refused.status()).toBe(403);
});
