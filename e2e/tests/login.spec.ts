import { expect, test, type Page } from '@playwright/test';
import { E2E_ADMIN_PASSWORD } from '../playwright.config';

async function logIn(page: Page, password = E2E_ADMIN_PASSWORD): Promise<void> {
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

const NAVIGATION = ['Dashboard', 'Venues', 'Batches', 'Images', 'Deployments', 'Statistics', 'Netboot', 'Admin'];

test('logs in through the form, shows the dashboard shell, and logs out', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);

  await logIn(page);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('current-user')).toContainText('admin');
  for (const name of NAVIGATION) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }

  await page.getByRole('link', { name: 'Venues', exact: true }).click();
  await expect(page).toHaveURL(/\/venues$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Venues' })).toBeVisible();

  // A reload on a deep link keeps the page and the session.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Venues' })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();

  // Logged out means logged out: the shell sends you back to the login page.
  await page.goto('/deployments');
  await expect(page).toHaveURL(/\/login\?returnUrl=%2Fdeployments/);
});

test("shows the server's message for a wrong password and stays on the login page", async ({ page }) => {
  await page.goto('/login');
  await logIn(page, 'definitely-wrong');
  await expect(page.getByRole('alert')).toContainText('Wrong user name or password');
  await expect(page).toHaveURL(/\/login/);
});

test('returns to the requested page after logging in', async ({ page }) => {
  await page.goto('/netboot');
  await expect(page).toHaveURL(/\/login\?returnUrl=%2Fnetboot/);
  await logIn(page);
  await expect(page).toHaveURL(/\/netboot$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Netboot' })).toBeVisible();
});
