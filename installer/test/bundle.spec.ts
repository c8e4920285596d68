import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';

const BUNDLE = resolve(__dirname, '../../dist/installer/pi-installer.js');
/** The budget stated in installer/README.md: the file travels in the netboot runtime of every Pi. */
const SIZE_BUDGET_BYTES = 320 * 1024;

describe('the bundled installer (dist/installer/pi-installer.js)', () => {
  beforeAll(() => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npx nx build installer\` first`);
  });

  it('is one self-contained file that needs only Node built-ins', () => {
    const source = readFileSync(BUNDLE, 'utf8');
    const required = [...source.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    expect(required.filter((name) => !builtins.has(name))).toEqual([]);
    expect(source.startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('stays within its size budget', () => {
    expect(statSync(BUNDLE).size).toBeLessThanOrEqual(SIZE_BUDGET_BYTES);
  });

  it('prints its help', () => {
    const help = execFileSync(process.execPath, [BUNDLE, '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/Usage: pi-installer/);
    for (const flag of ['--server', '--device', '--product', '--venue', '--serial', '--mac', '--no-reboot']) {
      expect(help).toContain(flag);
    }
    for (const flag of [
      '--config-wait',
      '--retry-delay',
      '--stall-timeout',
      '--download-retries',
      '--print-settings',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/Exit codes:\n {2}0 {2}the card is written, verified and personalised/);
    expect(help).toMatch(/ {2}3 {2}no configuration from the server/);
  });

  it('resolves its settings from flags', () => {
    const output = execFileSync(
      process.execPath,
      [
        BUNDLE,
        '--server',
        'http://127.0.0.1:5001',
        '--serial',
        '10000000ABC12345',
        '--mac',
        'D8:3A:DD:00:00:01',
        '--device',
        '/tmp/card.img',
        '--product',
        'kxp2',
        '--no-reboot',
        '--config-wait',
        '90',
        '--print-settings',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toMatchObject({
      server: 'http://127.0.0.1:5001',
      serial: '10000000abc12345',
      mac: 'd8:3a:dd:00:00:01',
      device: '/tmp/card.img',
      product: 'KXP2',
      reboot: false,
      configWaitMs: 90_000,
      retryDelayMs: 1000,
    });
  });

  it('exits 2 with clear messages on bad parameters', () => {
    const result = spawnSync(process.execPath, [BUNDLE, '--server', 'ftp://x', '--serial', 'nothex', '--mac', 'x'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/server must be an http\(s\) URL/);
    expect(result.stderr).toMatch(/serial must be 8-16 hex digits/);
  });
});
