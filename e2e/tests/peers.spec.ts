import { expect, test, type Page } from '@playwright/test';
import { waitingInLine } from '@rpi-deploy/contracts';
import { savePageScreenshot } from './support/screenshot';
import { SimulatedUnit, prepareVenueWithImage, uniqueMac, uniqueSerial } from './support/fleet';
import { apiLogin, signIn, type ApiSession } from './support/session';

/** The dashboard must show what a unit reported within this time. */
const LIVE_WITHIN_MS = 2_000;
const VENUE = `P${String(Date.now() % 1000).padStart(3, '0')}`;
const MiB = 2 ** 20;
/** More units than any sensible transfer cap of the shared server (DEPLOY_MAX_SERVER_TRANSFERS). */
const MAX_UNITS = 24;

test.describe.configure({ mode: 'serial' });

let admin: ApiSession;
let serials = 60;

function card(page: Page, hostname: string) {
  return page.getByRole('article', { name: hostname });
}

async function newUnit(request: import('@playwright/test').APIRequestContext): Promise<SimulatedUnit> {
  const unit = new SimulatedUnit(request, uniqueSerial(serials), uniqueMac(serials));
  serials += 1;
  await unit.askForConfig({ product: 'KXP2', venue: VENUE });
  return unit;
}

test.beforeAll(async ({ request }) => {
  admin = await apiLogin(request);
  await prepareVenueWithImage(request, admin, VENUE);
});

test('a unit card shows its place in line for the server, live, and where its bytes come from', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(90_000);
  await signIn(page, admin);
  await page.goto('/');
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();

  // Units take the server's transfer slots until one is put in line (the cap is the server's own
  // setting, and other suites' units may hold slots too: nothing here assumes how many).
  const holders: SimulatedUnit[] = [];
  let first: { unit: SimulatedUnit; position: number } | null = null;
  while (!first) {
    expect(holders.length, 'no unit was ever put in line').toBeLessThan(MAX_UNITS);
    const unit = await newUnit(request);
    const answer = await unit.fetchImage();
    if (answer.admitted) {
      await unit.report({ status: 'downloading', progress: 10, message: 'writing the image' });
      holders.push(unit);
    } else first = { unit, position: answer.position };
  }
  const second = await newUnit(request);
  const secondAnswer = await second.fetchImage();
  expect(secondAnswer).toEqual({ admitted: false, position: first.position + 1 });

  const firstCard = card(page, first.unit.config!.hostname);
  const secondCard = card(page, second.config!.hostname);
  await expect(firstCard.getByRole('status')).toContainText(waitingInLine(first.position), {
    timeout: LIVE_WITHIN_MS,
  });
  await expect(secondCard.getByRole('status')).toContainText(waitingInLine(first.position + 1), {
    timeout: LIVE_WITHIN_MS,
  });
  await savePageScreenshot(page, testInfo, 'dashboard-queue');

  // A holder past its download frees its slot: the first in line takes it, the second moves up, live.
  await holders[0].finish();
  if (first.position === 1) {
    expect(await first.unit.fetchImage()).toEqual({ admitted: true });
    await expect(firstCard.getByRole('status')).toHaveCount(0, { timeout: LIVE_WITHIN_MS });
    await expect(secondCard.getByRole('status')).toContainText(waitingInLine(1), { timeout: LIVE_WITHIN_MS });
  }

  // A downloading unit's card: its bytes from the server and from peers, live, with the share.
  const downloading = holders.at(-1)!;
  const sourcesCard = card(page, downloading.config!.hostname);
  await downloading.report({
    status: 'downloading',
    progress: 40,
    bytesDone: 160 * MiB,
    bytesTotal: 400 * MiB,
    throughput: { download: 30e6, write: 25e6 },
    sources: { fromServer: 38 * MiB, fromPeers: 62 * MiB },
  });
  await expect(sourcesCard.getByRole('img', { name: '62 % from peers' })).toBeVisible({ timeout: LIVE_WITHIN_MS });
  await expect(sourcesCard).toContainText('from server 38.0 MiB · from peers 62.0 MiB · 62 % from peers');
  await expect(sourcesCard).toContainText('25 MB/s');
  await downloading.report({
    status: 'downloading',
    progress: 60,
    sources: { fromServer: 38 * MiB, fromPeers: 162 * MiB },
  });
  await expect(sourcesCard.getByRole('img', { name: '81 % from peers' })).toBeVisible({ timeout: LIVE_WITHIN_MS });
  await savePageScreenshot(page, testInfo, 'dashboard-sources');

  // Everyone finishes: the shared server's slots and line are free again for the suites after this one.
  for (const unit of [...holders.slice(1), first.unit, second]) await unit.finish();
});

test('the deployment page names the peer that served a wrong chunk; Statistics charts server and peer bytes', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(60_000);
  const [culprit, victim] = [await newUnit(request), await newUnit(request)];
  const chunk = 'ab'.repeat(32);
  // The culprit says it serves the chunk (on the address it reaches the server from), the victim
  // gets it as a source and reports the wrong answer it got.
  await culprit.peers('holdings', { address: '127.0.0.1:5003', chunks: [chunk] });
  expect(await victim.peers('sources', { chunks: [chunk] })).toEqual({
    sources: { [chunk]: ['http://127.0.0.1:5003'] },
  });
  await victim.peers('faults', { peer: 'http://127.0.0.1:5003', sha256: chunk, problem: 'wrong chunk: SHA-256 00ff' });
  await victim.report({ status: 'downloading', progress: 30, sources: { fromServer: 10 * MiB, fromPeers: 30 * MiB } });

  await signIn(page, admin);
  await page.goto(`/deployments/${victim.config!.deploymentId}`);
  await expect(page.getByRole('heading', { level: 1, name: victim.config!.hostname })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('img', { name: '75 % from peers' })).toBeVisible();
  const dropped = page.getByRole('list', { name: 'Peers dropped' });
  await expect(dropped).toContainText(`${culprit.config!.hostname} (http://127.0.0.1:5003) served chunk ${chunk}`);
  await expect(dropped).toContainText('wrong chunk: SHA-256 00ff; peer dropped');
  const timeline = page.getByRole('list', { name: 'Events, newest first' });
  await expect(timeline.getByRole('listitem').filter({ hasText: 'Peer dropped' })).toContainText(
    culprit.config!.hostname,
  );
  await savePageScreenshot(page, testInfo, 'deployment-peers');

  // The fleet's traffic: the victim's bytes arrive in the next samples (every 5 s), live.
  await page.goto('/statistics');
  const network = page.getByRole('region', { name: 'Network: from the server and from peers' });
  // A fresh page load, which a busy machine may take seconds over.
  await expect(network.getByRole('img', { name: /from the server and from peers, and in all/ })).toBeVisible({
    timeout: 15_000,
  });
  const peerBytes = async () => {
    const words = (await network.locator('app-byte-sources').textContent()) ?? '';
    return Number(/from peers ([\d.]+) MiB/.exec(words)?.[1] ?? 0);
  };
  await victim.report({ status: 'downloading', progress: 50, sources: { fromServer: 10 * MiB, fromPeers: 90 * MiB } });
  // Other suites' units may add bytes too: at least what this one received from peers.
  await expect.poll(peerBytes, { timeout: 15_000 }).toBeGreaterThanOrEqual(90);
  await savePageScreenshot(page, testInfo, 'statistics-network');

  await Promise.all([culprit, victim].map((unit) => unit.finish()));
});
