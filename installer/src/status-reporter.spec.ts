import { ContractServer } from '../test/support/contract-server';
import { requestConfig } from './download/config-client';
import { StatusReporter } from './status-reporter';

const image = { path: __filename, name: 'x.img', compression: 'none' as const, size: 1024, sha256: 'a'.repeat(64) };
let server: ContractServer;

beforeEach(async () => {
  server = await ContractServer.start({ image });
});
afterEach(() => server.stop());

async function reporterFor(contract: ContractServer, url = contract.url) {
  const config = await requestConfig(
    contract.url,
    { serial: '10000000abc12345', mac: 'd8:3a:dd:12:34:56' },
    { waitMs: 1000, retryDelayMs: 10, log: () => undefined },
  );
  const logged: string[] = [];
  const reporter = new StatusReporter(url, config.deploymentId, config.statusToken, {
    retryDelayMs: 10,
    log: (line) => logged.push(line),
  });
  return { reporter, logged, config };
}

describe('StatusReporter', () => {
  it('sends reports in order with the bearer token', async () => {
    const { reporter, config } = await reporterFor(server);
    reporter.report({ status: 'starting', progress: 0 });
    reporter.report({ status: 'downloading', progress: 1, bytesDone: 0, bytesTotal: 10 });
    reporter.report({ status: 'verifying', progress: 85 });
    reporter.report({ status: 'customizing', progress: 95 });
    reporter.report({ status: 'success', progress: 100 });
    await reporter.flush();
    expect(server.reports.map((received) => [received.status, received.report.status, received.authorization])).toEqual(
      ['starting', 'downloading', 'verifying', 'customizing', 'success'].map((status) => [
        200,
        status,
        `Bearer ${config.statusToken}`,
      ]),
    );
  });

  it('retries a report the server fails to take', async () => {
    const { reporter, logged } = await reporterFor(server);
    server.faults.statusFailures = 3;
    reporter.report({ status: 'starting', progress: 0 });
    await reporter.flush();
    expect(server.reports.map((received) => received.status)).toEqual([503, 503, 503, 200]);
    expect(logged).toEqual([]);
  });

  it('collapses progress updates that pile up and never lets progress go backwards', async () => {
    const { reporter } = await reporterFor(server);
    reporter.report({ status: 'downloading', progress: 1 });
    for (let progress = 2; progress <= 40; progress += 1) reporter.progress({ status: 'downloading', progress });
    reporter.progress({ status: 'downloading', progress: 30 });
    await reporter.flush();
    const progress = server.acceptedReports.map((report) => report.progress);
    expect(progress.length).toBeLessThan(10);
    expect(progress.at(-1)).toBe(40);
    expect(progress).toEqual([...progress].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });

  it('shortens texts to what the server takes, so a long failure reason still gets through', async () => {
    const { reporter } = await reporterFor(server);
    reporter.report({ status: 'starting', progress: 0, message: 'm'.repeat(600) });
    reporter.report({ status: 'failed', error: 'e'.repeat(1500) });
    await reporter.flush();
    expect(server.reports.map((received) => received.status)).toEqual([200, 200]);
    expect(server.acceptedReports.map((report) => (report.message ?? report.error)?.length)).toEqual([500, 1000]);
    expect(server.acceptedReports[1].error?.endsWith('e…')).toBe(true);
  });

  it('never throws: an unreachable server is logged and the install goes on', async () => {
    const { reporter, logged } = await reporterFor(server, 'http://127.0.0.1:9');
    reporter.report({ status: 'starting', progress: 0 });
    await expect(reporter.flush()).resolves.toBeUndefined();
    expect(logged).toEqual([
      expect.stringMatching(/^status report "starting" was not accepted \(.*ECONNREFUSED.*\); the install goes on$/),
    ]);
  });

  it('does not retry what the server refuses for good (a finished deployment answers 409)', async () => {
    const { reporter, logged } = await reporterFor(server);
    reporter.report({ status: 'failed', error: 'x' });
    reporter.report({ status: 'success', progress: 100 });
    await reporter.flush();
    expect(server.reports.map((received) => received.status)).toEqual([200, 409]);
    expect(logged).toEqual([
      'status report "success" was not accepted (HTTP 409: deployment already failed); the install goes on',
    ]);
  });
});
