import { expect, type Locator, type Page } from '@playwright/test';

/**
 * Opens a dialog and waits until it takes input: Material moves the focus into a dialog once it
 * has opened, after its form controls have written their initial values. Typing before that races
 * the form's first render, which writes those values over what was typed (seen in CI: a name
 * filled in a dialog that had just opened came back empty).
 */
export async function openDialog(page: Page, opener: Locator, name: string): Promise<Locator> {
  await opener.click();
  const dialog = page.getByRole('dialog', { name });
  await expect(dialog.locator(':focus')).toHaveCount(1);
  return dialog;
}
