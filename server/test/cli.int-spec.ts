import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { cli } from './support/run-cli';
import { ADMIN_PASSWORD, bootTestServer, login, type TestServer } from './support/test-server';

describe('rpi-deploy command line', () => {
  let t: TestServer;
  let env: Record<string, string>;
  const run = (...args: string[]) => cli(['--user', 'admin', ...args], env);

  beforeAll(async () => {
    t = await bootTestServer();
    env = { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_PASSWORD: ADMIN_PASSWORD };
  });
  afterAll(() => t?.close());

  it('creates and lists venues', async () => {
    const created = await run(
      'venue',
      'create',
      'coro',
      'Corona Karting',
      '--location',
      'Kerpen',
      '--email',
      'track@example.com',
    );
    expect(created).toMatchObject({ code: 0, stdout: 'Created venue CORO (Corona Karting)\n' });
    const list = await run('--json', 'venue', 'list');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        code: 'CORO',
        name: 'Corona Karting',
        location: 'Kerpen',
        contactEmail: 'track@example.com',
      }),
    ]);
    const table = await run('venue', 'list');
    expect(table.stdout).toMatch(/│ CORO +│ Corona Karting +│ Kerpen/);
  });

  it("reports the server's refusal and exits 1", async () => {
    const again = await run('venue', 'create', 'CORO', 'Again');
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toBe('rpi-deploy: Venue CORO already exists (HTTP 409)\n');
    const bad = await run('venue', 'create', 'TOOLONG', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/code must be exactly 4 letters or digits/);
  });

  it('imports kart numbers by range and by list, and lists the pool', async () => {
    expect((await run('karts', 'import', 'CORO', '--from', '1', '--to', '50')).stdout).toBe(
      'Added 50 kart number(s) to CORO, skipped 0\n',
    );
    expect((await run('karts', 'import', 'CORO', '--numbers', '001, 51,052')).stdout).toBe(
      'Added 2 kart number(s) to CORO, skipped 1\n',
    );
    const pool = JSON.parse((await run('--json', 'karts', 'list', 'CORO', '--status', 'available')).stdout);
    expect(pool).toHaveLength(52);
    expect(pool[51]).toMatchObject({ hostname: 'KXP2-CORO-052', status: 'available' });
    const wrong = await run('karts', 'import', 'CORO', '--from', 'x', '--to', '3');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/option '--from <n>' argument 'x' is invalid. expected a whole number/);
    expect(wrong.stderr).toContain('(add --help for usage)');
  });

  it('creates, starts, pauses, cancels and lists batches', async () => {
    const created = await run(
      '--json',
      'batch',
      'create',
      '--venue',
      'CORO',
      '--product',
      'KXP2',
      '--count',
      '20',
      '--priority',
      '5',
    );
    const batch = JSON.parse(created.stdout);
    expect(batch).toMatchObject({ venue: 'CORO', product: 'KXP2', count: 20, priority: 5, status: 'pending' });
    expect((await run('batch', 'start', String(batch.id))).stdout).toBe(`Batch ${batch.id} is now active\n`);
    expect((await run('batch', 'pause', String(batch.id))).stdout).toBe(`Batch ${batch.id} is now paused\n`);
    const list = await run('batch', 'list');
    expect(list.stdout).toMatch(new RegExp(`│ ${batch.id} +│ CORO +│ KXP2 +│ 0/20 +│ 5 +│ paused`));
    expect((await run('batch', 'cancel', String(batch.id))).stdout).toBe(`Batch ${batch.id} is now cancelled\n`);
    const again = await run('batch', 'start', String(batch.id));
    expect(again).toMatchObject({
      code: 1,
      stderr: `rpi-deploy: Cannot start batch ${batch.id}: it is cancelled (HTTP 409)\n`,
    });
    const tooBig = await run('batch', 'create', '--venue', 'CORO', '--product', 'KXP2', '--count', '500');
    expect(tooBig.stderr).toMatch(/has 52 free number\(s\) but the batch needs 500/);
  });

  it('checks its own arguments before calling the server', async () => {
    const product = await run('batch', 'create', '--venue', 'CORO', '--product', 'XXX', '--count', '2');
    expect(product.code).toBe(1);
    expect(product.stderr).toMatch(/Allowed choices are KXP2, RXP2/);
    const missing = await run('batch', 'create', '--venue', 'CORO');
    expect(missing.stderr).toMatch(/required option '--product <code>' not specified/);
  });

  it('logs in with a token from RPI_DEPLOY_TOKEN, and says how to log in without one', async () => {
    const { accessToken } = await login(t.management, 'admin', ADMIN_PASSWORD);
    const withToken = await cli(['venue', 'list'], { RPI_DEPLOY_URL: t.management, RPI_DEPLOY_TOKEN: accessToken });
    expect(withToken.code).toBe(0);
    const anonymous = await cli(['venue', 'list'], { RPI_DEPLOY_URL: t.management });
    expect(anonymous).toMatchObject({
      code: 1,
      stderr: 'rpi-deploy: Not logged in: pass --user and --password, or set RPI_DEPLOY_TOKEN\n',
    });
    const wrong = await cli(['--user', 'admin', '--password', 'nope', 'venue', 'list'], {
      RPI_DEPLOY_URL: t.management,
    });
    expect(wrong.stderr).toMatch(/Login failed: Wrong user name or password/);
  });

  it('says when the server cannot be reached', async () => {
    const result = await cli(
      ['--url', 'http://127.0.0.1:65500', '--user', 'a', '--password', 'b', 'venue', 'list'],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Cannot reach the server at http:\/\/127.0.0.1:65500 \(ECONNREFUSED\): is it running\? Set --url/,
    );
  });

  it('prints help for every command', async () => {
    const top = await cli(['--help'], {});
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: rpi-deploy \[options\] \[command\]/);
    for (const command of ['venue', 'karts', 'batch']) {
      const help = await cli([command, '--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: rpi-deploy ${command}`));
    }
  });

  it('is installed as the bin of the root package', () => {
    const bin = resolve(__dirname, '../bin/rpi-deploy.js');
    if (!existsSync(resolve(__dirname, '../../dist/server/cli/main.js'))) {
      throw new Error('dist/server is missing: run `npx nx build server` first');
    }
    expect(execFileSync(process.execPath, [bin, 'batch', '--help'], { encoding: 'utf8' })).toMatch(
      /start <id> +start a batch/,
    );
  });
});
