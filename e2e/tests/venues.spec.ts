import { expect, test } from '@playwright/test';
import { openDialog } from './support/dialog';
import { savePageScreenshot } from './support/screenshot';
import { apiLogin, signIn } from './support/session';

const CODE = `V${String(Date.now() % 1000).padStart(3, '0')}`;

test('creates a venue, imports karts by range and list, edits, retires a hostname and deletes', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(60_000);
  await signIn(page, await apiLogin(request));
  await page.goto('/venues');

  // The form refuses a bad code before sending anything.
  const dialog = await openDialog(page, page.getByRole('button', { name: 'New venue' }), 'New venue');
  await dialog.getByLabel('Code').fill('AB-');
  await dialog.getByLabel('Name').fill('E2E Karting');
  await dialog.getByRole('button', { name: 'Create venue' }).click();
  await expect(dialog.getByText('The code is exactly 4 letters or digits.')).toBeVisible();
  await dialog.getByLabel('Code').fill(CODE.toLowerCase());
  await dialog.getByLabel('Location').fill('Kerpen');
  await dialog.getByRole('button', { name: 'Create venue' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole('row', { name: new RegExp(CODE) });
  await expect(row).toContainText('E2E Karting');
  await expect(row).toContainText('0 available');

  // The same code again: the server says why not.
  await openDialog(page, page.getByRole('button', { name: 'New venue' }), 'New venue');
  await dialog.getByLabel('Code').fill(CODE);
  await dialog.getByLabel('Name').fill('Duplicate');
  await dialog.getByRole('button', { name: 'Create venue' }).click();
  await expect(dialog.getByRole('alert')).toContainText(CODE);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // Edit.
  const editDialog = await openDialog(
    page,
    page.getByRole('button', { name: `Edit venue ${CODE}` }),
    `Edit venue ${CODE}`,
  );
  await editDialog.getByLabel('Name').fill('E2E Karting Arena');
  await editDialog.getByRole('button', { name: 'Save' }).click();
  await expect(row).toContainText('E2E Karting Arena');

  // The venue page: import a range, then a list that overlaps it.
  await page.getByRole('link', { name: CODE }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Venue ${CODE}` })).toBeVisible();
  await page.getByRole('spinbutton', { name: 'From' }).fill('1');
  await page.getByRole('spinbutton', { name: 'To' }).fill('20');
  await page.getByRole('button', { name: 'Import karts' }).click();
  await expect(page.getByText('Added 20, skipped 0 already in the pool.')).toBeVisible();

  await page.getByRole('radio', { name: 'List' }).click();
  await page.getByRole('textbox', { name: 'Kart numbers' }).fill('5, 21-22\n30');
  await page.getByRole('button', { name: 'Import karts' }).click();
  await expect(page.getByText('Added 3, skipped 1 already in the pool.')).toBeVisible();
  await expect(page.getByText('23 available · 0 assigned · 0 retired')).toBeVisible();

  const pool = page.getByRole('table', { name: 'Kart pool' });
  await expect(pool.getByRole('cell', { name: `KXP2-${CODE}-001`, exact: true })).toBeVisible();
  await expect(pool.getByRole('cell', { name: `KXP2-${CODE}-030`, exact: true })).toBeVisible();

  // Retire one number, after confirming.
  await page.getByRole('button', { name: `Retire KXP2-${CODE}-030` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Retire' }).click();
  await expect(page.getByText('22 available · 0 assigned · 1 retired')).toBeVisible();
  await page.getByRole('radio', { name: 'retired' }).click();
  await expect(pool.getByRole('row')).toHaveCount(2);
  await savePageScreenshot(page, testInfo, 'venue-detail');

  // Delete the venue, after confirming.
  await page.getByRole('link', { name: '← All venues' }).click();
  await savePageScreenshot(page, testInfo, 'venues');
  await page.getByRole('button', { name: `Delete venue ${CODE}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('row', { name: new RegExp(CODE) })).toHaveCount(0);
});
