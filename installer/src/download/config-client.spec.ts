import { ContractServer } from '../../test/support/contract-server';
import { ConfigUnavailableError, requestConfig } from './config-client';

const unit = { serial: '10000000abc12345', mac: 'd8:3a:dd:12:34:56' };
const image = { path: __filename, name: 'x.img', compression: 'none' as const, size: 1024, sha256: 'a'.repeat(64) };
let server: ContractServer;

beforeEach(async () => {
  server = await ContractServer.start({ image });
});
afterEach(() => server.stop());

function wait(waitMs: number) {
  const logged: string[] = [];
  return { waitMs, retryDelayMs: 20, log: (line: string) => logged.push(line), logged };
}

describe('requestConfig', () => {
  it('returns the configuration: hostname, image and the status token', async () => {
    const config = await requestConfig(server.url, unit, wait(1000));
    expect(config).toMatchObject({
      hostname: 'RXP2-CORO-ABC12345',
      product: 'RXP2',
      venue: 'CORO',
      image: { size: 1024 },
    });
    expect(config.statusToken).toBe(server.deployments.get(config.deploymentId)?.token);
  });

  it('waits through 409 and 503, saying why, and then gets its configuration', async () => {
    server.faults.configAnswers.push(
      { status: 409, message: 'no active deployment batch' },
      { status: 503, message: 'no active image for RXP2' },
    );
    const retry = wait(5000);
    const config = await requestConfig(server.url, unit, retry);
    expect(config.hostname).toBe('RXP2-CORO-ABC12345');
    expect(retry.logged).toEqual([
      expect.stringMatching(
        /^the server cannot configure this unit yet \(HTTP 409: no active deployment batch\); asking again in \d\.\d s$/,
      ),
      expect.stringMatching(
        /^the server cannot configure this unit yet \(HTTP 503: no active image for RXP2\); asking again/,
      ),
    ]);
  });

  it('stops waiting after the configured time with the last reason', async () => {
    server.faults.configAnswers.push(
      ...Array.from({ length: 50 }, () => ({ status: 409, message: 'no active deployment batch' })),
    );
    const started = Date.now();
    await expect(requestConfig(server.url, unit, wait(300))).rejects.toThrow(
      /^no configuration after 0 s and \d+ attempts: the server cannot configure this unit yet \(HTTP 409: no active deployment batch\)$/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('tells a busy server (server_busy) from one it cannot reach (network), for the LEDs', async () => {
    server.faults.configAnswers.push(...Array.from({ length: 50 }, () => ({ status: 503, message: 'no image' })));
    const busy = await requestConfig(server.url, unit, wait(200)).catch((error: ConfigUnavailableError) => error);
    expect(busy).toMatchObject({ code: 'server_busy' });
    server.faults.configAnswers.length = 0;
    const away = await requestConfig('http://127.0.0.1:1', unit, wait(200)).catch(
      (error: ConfigUnavailableError) => error,
    );
    expect(away).toMatchObject({ code: 'network' });
  });

  it('does not ask again when the server refuses the request itself', async () => {
    const error = await requestConfig(server.url, { ...unit, venue: 'NOPE' }, wait(5000)).catch(
      (failure: Error) => failure,
    );
    expect(error).toBeInstanceOf(ConfigUnavailableError);
    expect((error as Error).message).toBe(
      "the server refused this unit's configuration request (HTTP 404: unknown venue NOPE)",
    );
    expect(server.configRequests).toHaveLength(1);
  });

  it('refuses a configuration that lacks what the install needs', async () => {
    const broken = await ContractServer.start({ image: { ...image, sha256: 'not-a-sha' } });
    try {
      await expect(requestConfig(broken.url, unit, wait(1000))).rejects.toThrow(/missing or has invalid image\.sha256/);
    } finally {
      await broken.stop();
    }
  });
});
