import { expect, test } from '@playwright/test';
import { apiLogin, logInWithForm, signIn } from './support/session';

const VIEWER = { username: `viewer${Date.now() % 100000}`, password: 'viewer-password-123' };

test('an admin creates a viewer, who sees every page but cannot change anything', async ({ page, request }) => {
  const admin = await apiLogin(request);
  await signIn(page, admin);

  // The admin creates the viewer on the Admin page, and the form checks its input first.
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Users and roles' })).toBeVisible();
  await page.getByLabel('New user name').fill(VIEWER.username);
  await page.getByLabel('First password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText('At least 10 characters.')).toBeVisible();
  await page.getByLabel('First password').fill(VIEWER.password);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('cell', { name: VIEWER.username, exact: true })).toBeVisible();
  await expect(page.getByRole('combobox', { name: `Role of ${VIEWER.username}` })).toContainText('viewer');

  // A second user with the same name: the server's message is shown.
  await page.getByLabel('New user name').fill(VIEWER.username);
  await page.getByLabel('First password').fill(VIEWER.password);
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('alert')).toContainText(VIEWER.username);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);

  // The viewer logs in through the form.
  await logInWithForm(page, VIEWER.username, VIEWER.password);
  await expect(page.getByTestId('current-role')).toHaveText('viewer');

  await page.getByRole('link', { name: 'Venues', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Venues' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'New venue' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Batches', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Batches' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create batch' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Images', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Images' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Upload' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Roll back/ })).toHaveCount(0);

  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByText('Only admins manage users and roles.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create user' })).toHaveCount(0);

  // What the page hides, the server refuses as well.
  const viewer = await apiLogin(request, VIEWER.username, VIEWER.password);
  const refused = await request.post('/api/venues', {
    headers: { Authorization: `Bearer ${viewer.accessToken}` },
    data: { code: 'VIEW', name: 'Not allowed' },
  });
  expect(refused.status()).toBe(403);
});
