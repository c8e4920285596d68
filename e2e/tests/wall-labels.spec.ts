import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import type { BatchDto } from '@rpi-deploy/contracts';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { OwnServer } from './support/own-server';
import { savePageScreenshot } from './support/screenshot';
import { apiLogin, bearer, signIn, type ApiSession } from './support/session';

const VENUE = 'WALL';
const UNITS = 50;
const FAILED = [7, 21, 40];
/** A common laptop screen. */
const LAPTOP = { width: 1366, height: 768 };

const tiles = (page: Page) => page.getByTestId('wall-tile');

/**
 * Its own server, so the wall holds exactly this fleet: 50 units of one batch at work, three of
 * them failed.
 */
async function startFleet(request: APIRequestContext, admin: ApiSession, deployUrl: string) {
  await prepareVenueWithImage(request, admin, VENUE);
  const headers = bearer(admin);
  expect((await request.post(`/api/venues/${VENUE}/karts`, { headers, data: { from: 31, to: 60 } })).status()).toBe(
    200,
  );
  const batch = (await (
    await request.post('/api/batches', { headers, data: { venue: VENUE, product: 'KXP2', count: UNITS } })
  ).json()) as BatchDto;
  expect((await request.post(`/api/batches/${batch.id}/start`, { headers })).status()).toBe(200);
  const units: SimulatedUnit[] = [];
  for (let index = 0; index < UNITS; index++) {
    const unit = new SimulatedUnit(request, uniqueSerial(index), uniqueMac(index), deployUrl);
    await unit.askForConfig();
    if (FAILED.includes(index)) await unit.report({ status: 'failed', error: 'card too small: 8 GB < 16 GB' });
    else await unit.report({ status: 'downloading', progress: 10 + (index % 80), bytesDone: index, bytesTotal: 100 });
    units.push(unit);
  }
  return { batch, units };
}

test('the wall shows 50 units on one laptop screen, failed first, filters, opens a card, and is remembered', async ({
  page,
  playwright,
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const server = await OwnServer.create();
  try {
    await server.start();
    const request = await playwright.request.newContext({ baseURL: server.origin });
    const admin = await apiLogin(request);
    const { batch, units } = await startFleet(request, admin, server.deployUrl);
    const failedHostnames = FAILED.map((index) => units[index]!.config!.hostname).sort();

    await page.setViewportSize(LAPTOP);
    await signIn(page, admin, server.origin);
    await page.goto(`${server.origin}/dashboard`);
    await expect(page.getByRole('article')).toHaveCount(UNITS); // cards until the user chooses
    await page.getByRole('radio', { name: /Wall/ }).click();
    await expect(tiles(page)).toHaveCount(UNITS);
    await expect(page.getByRole('article')).toHaveCount(0);

    // Every tile inside the 1366x768 window, nothing scrolled.
    const boxes = await tiles(page).evaluateAll((elements) =>
      elements.map((element) => element.getBoundingClientRect().toJSON() as DOMRect),
    );
    for (const box of boxes) {
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.bottom).toBeLessThanOrEqual(LAPTOP.height);
      expect(box.right).toBeLessThanOrEqual(LAPTOP.width);
    }
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await page.screenshot({ path: testInfo.outputPath('wall-1366x768.png') });
    await savePageScreenshot(page, testInfo, 'wall');

    // Failed units first (by hostname), each saying why.
    const firstThree = await tiles(page).evaluateAll((elements) =>
      elements.slice(0, 3).map((element) => element.querySelector('.hostname')!.textContent!.trim()),
    );
    expect(firstThree).toEqual(failedHostnames);
    await expect(tiles(page).first()).toContainText('card too small');

    // Live: a report moves one tile's percent without redrawing the others.
    await page.evaluate(() =>
      document.querySelectorAll('[data-testid="wall-tile"]').forEach((tile) => ((tile as any).kept = true)),
    );
    const moving = units[0]!;
    await moving.report({ status: 'downloading', progress: 95, bytesDone: 95, bytesTotal: 100 });
    const movingTile = tiles(page).filter({ hasText: moving.config!.hostname });
    await expect(movingTile).toContainText('95 %', { timeout: 2_000 });
    const kept = await page.evaluate(
      () => [...document.querySelectorAll('[data-testid="wall-tile"]')].filter((tile) => (tile as any).kept).length,
    );
    expect(kept).toBe(UNITS);

    // Filters: state, batch, venue.
    await page.getByRole('radio', { name: 'Failed' }).click();
    await expect(tiles(page)).toHaveCount(3);
    await page.getByRole('radio', { name: 'All', exact: true }).click();
    await page.getByRole('combobox', { name: 'Batch' }).click();
    await page.getByRole('option', { name: `#${batch.id} ${VENUE} KXP2` }).click();
    await expect(tiles(page)).toHaveCount(UNITS);
    await page.getByRole('combobox', { name: 'Venue' }).click();
    await page.getByRole('option', { name: VENUE }).click();
    await expect(tiles(page)).toHaveCount(UNITS);
    await page.getByRole('radio', { name: 'Silent' }).click();
    await expect(tiles(page)).toHaveCount(0);
    await page.getByRole('radio', { name: 'All', exact: true }).click();

    // A tile opens the unit's card, which keeps following the unit.
    await movingTile.click();
    const dialog = page.getByRole('dialog');
    const card = dialog.getByRole('article', { name: moving.config!.hostname });
    await expect(card).toContainText(moving.serial);
    await expect(card).toContainText('95 %');
    await moving.report({ status: 'verifying', progress: 97 });
    await expect(card).toContainText('97 %', { timeout: 2_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);

    // Remembered on the server: after a reload, and in another browser.
    await page.reload();
    await expect(tiles(page)).toHaveCount(UNITS);
    const elsewhere = await browser.newContext({ viewport: LAPTOP });
    const otherPage = await elsewhere.newPage();
    await signIn(otherPage, admin, server.origin);
    await otherPage.goto(`${server.origin}/dashboard`);
    await expect(tiles(otherPage)).toHaveCount(UNITS);
    await elsewhere.close();
    const stored = await request.get('/api/users/me/preferences', { headers: bearer(admin) });
    expect(await stored.json()).toEqual({ dashboardView: 'wall' });

    // Labels for what the wall shows: the failed units.
    await page.getByRole('radio', { name: 'Failed' }).click();
    await page.getByRole('link', { name: /Labels for these/ }).click();
    await expect(page).toHaveURL(/\/labels\?deployments=/);
    const labels = page.getByTestId('unit-label');
    await expect(labels).toHaveCount(3);
    await expect(labels.first()).toContainText(failedHostnames[0]!);
    for (const index of FAILED) {
      const unit = units[index]!;
      const label = page.getByRole('article', { name: `Label of ${unit.config!.hostname}` });
      await expect(label).toContainText(unit.serial);
      await expect(label).toContainText(unit.mac);
      await expect(label.getByRole('img')).toHaveAttribute('src', /^data:image\/png;base64,/);
    }
    // Printed, each label is one 62 mm x 29 mm page (Chromium's print to PDF honours @page).
    const printed = await page.pdf({ preferCSSPageSize: true });
    const mediaBoxes = printed.toString('latin1').match(/\/MediaBox \[0 0 [\d.]+ [\d.]+\]/g) ?? [];
    expect(mediaBoxes).toHaveLength(3);
    for (const box of mediaBoxes) {
      const [, , , width, height] = box.match(/\[(\d+) (\d+) ([\d.]+) ([\d.]+)\]/)!;
      expect(Number(width)).toBeCloseTo((62 / 25.4) * 72, 0);
      expect(Number(height)).toBeCloseTo((29 / 25.4) * 72, 0);
    }
    await savePageScreenshot(page, testInfo, 'labels');

    // The batch's labels, from the Batches page, and its PDF from the server.
    await page.goto(`${server.origin}/batches`);
    await page.getByRole('link', { name: `Labels of batch ${batch.id}` }).click();
    await expect(page.getByTestId('unit-label')).toHaveCount(UNITS);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /PDF/ }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`labels-batch-${batch.id}.pdf`);

    // Nothing chosen, or a batch that does not exist: the page says what to do.
    await page.goto(`${server.origin}/labels`);
    await expect(page.getByRole('alert')).toContainText('Choose units first');
    await page.goto(`${server.origin}/labels?batch=999999`);
    await expect(page.getByRole('alert')).toContainText('No batch 999999');
    await expect(page.getByTestId('unit-label')).toHaveCount(0);
    await request.dispose();
  } finally {
    await server.dispose();
  }
});

test('the wall follows 100 units reporting at once, updating its tiles in place (no full re-render)', async ({
  page,
  playwright,
}, testInfo) => {
  test.setTimeout(180_000);
  const FLEET = 100;
  const ROUNDS = 5;
  const server = await OwnServer.create();
  try {
    await server.start();
    const request = await playwright.request.newContext({ baseURL: server.origin });
    const admin = await apiLogin(request);
    await prepareVenueWithImage(request, admin, VENUE);
    const headers = bearer(admin);
    await request.post(`/api/venues/${VENUE}/karts`, { headers, data: { from: 31, to: FLEET } });
    await request.put('/api/users/me/preferences', { headers, data: { dashboardView: 'wall' } });
    const units: SimulatedUnit[] = [];
    for (let index = 0; index < FLEET; index++) {
      const unit = new SimulatedUnit(request, uniqueSerial(index), uniqueMac(index), server.deployUrl);
      await unit.askForConfig({ product: 'KXP2', venue: VENUE });
      units.push(unit);
    }

    await page.setViewportSize(LAPTOP);
    await signIn(page, admin, server.origin);
    await page.goto(`${server.origin}/dashboard`);
    await expect(tiles(page)).toHaveCount(FLEET);
    await page.evaluate(() => {
      document.querySelectorAll('[data-testid="wall-tile"]').forEach((tile) => ((tile as any).kept = true));
      const longTasks: number[] = [];
      (window as any).longTasks = longTasks;
      new PerformanceObserver((list) => list.getEntries().forEach((entry) => longTasks.push(entry.duration))).observe({
        type: 'longtask',
      });
    });

    // Every unit reports ROUNDS times, all at once: the server batches them per 250 ms tick.
    const started = Date.now();
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(
        units.map((unit, index) =>
          unit.report({
            status: 'downloading',
            progress: round * 10 + (index % 10),
            bytesDone: round,
            bytesTotal: 100,
          }),
        ),
      );
    }
    const last = units[FLEET - 1]!;
    await expect(tiles(page).filter({ hasText: last.config!.hostname })).toContainText(`${ROUNDS * 10 + 9} %`);
    const settledMs = Date.now() - started;

    const { kept, longTasks } = await page.evaluate(() => ({
      kept: [...document.querySelectorAll('[data-testid="wall-tile"]')].filter((tile) => (tile as any).kept).length,
      longTasks: (window as any).longTasks as number[],
    }));
    expect(kept).toBe(FLEET);
    const figures = {
      units: FLEET,
      reports: FLEET * ROUNDS,
      settledMs,
      longTasks: longTasks.length,
      longestTaskMs: Math.round(Math.max(0, ...longTasks)),
    };
    await testInfo.attach('wall-100-units.json', { body: JSON.stringify(figures), contentType: 'application/json' });
    console.log(`wall with ${FLEET} units: ${JSON.stringify(figures)}`);
    await request.dispose();
  } finally {
    await server.dispose();
  }
});
