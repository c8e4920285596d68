import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { DeploymentDto } from '@rpi-deploy/contracts';
import { applyUpdates } from './live-units';
import { at, deploymentDto, T0 } from './testing/deployment-dto';
import { UnitCard } from './unit-card';

function render(overrides: Partial<DeploymentDto>, now = T0 + 125_000): HTMLElement {
  const deployment = deploymentDto({
    id: 'd-1',
    status: 'downloading',
    hostname: 'KXP2-CORO-007',
    mac: 'd8:3a:dd:12:34:56',
    ip: '192.168.151.120',
    imageVersion: '1.4.0',
    progress: 42,
    bytesDone: 100e6,
    bytesTotal: 400e6,
    throughput: { download: 50e6, write: 25e6 },
    message: 'writing the image',
    lastReportAt: at(120),
    ...overrides,
  });
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(UnitCard);
  fixture.componentRef.setInput('unit', applyUpdates(new Map(), [deployment]).get('d-1'));
  fixture.componentRef.setInput('now', now);
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

const text = (element: HTMLElement) => element.textContent?.replace(/\s+/g, ' ') ?? '';

describe('UnitCard', () => {
  it('shows its place in the server line and where its bytes came from', () => {
    const card = render({ queuePosition: 4, bytesFromServer: 120 * 2 ** 20, bytesFromPeers: 0 });

    expect(card.querySelector('[role="status"]')?.textContent?.trim()).toContain(
      'waiting for the network, 4th in line',
    );
    expect(text(card.querySelector('.sources') as HTMLElement).trim()).toBe(
      'from server 120.0 MiB · from peers 0 B · 0 % from peers',
    );
  });

  it('shows the shares of server and peers as a two-part bar and in words', () => {
    const card = render({ bytesFromServer: 38 * 2 ** 20, bytesFromPeers: 62 * 2 ** 20 });

    const bar = card.querySelector('.sources [role="img"]') as HTMLElement;
    expect(bar.getAttribute('aria-label')).toBe('62 % from peers');
    const parts = Array.from(bar.querySelectorAll('span'), (part) => Number(part.style.flexGrow));
    expect(parts).toEqual([38 * 2 ** 20, 62 * 2 ** 20]);
    expect(text(card.querySelector('.sources') as HTMLElement)).toContain('from peers 62.0 MiB');
  });

  it('shows no sources before the unit has moved any bytes', () => {
    expect(render({ bytesFromServer: null, bytesFromPeers: null }).querySelector('.sources')).toBeNull();
  });

  it('shows no place in line for a unit the server is sending to', () => {
    expect(render({ queuePosition: null }).querySelector('.in-line')).toBeNull();
  });

  it('shows who the unit is, its progress, speed, time left, elapsed time and last message', () => {
    const card = render({});

    expect(card.querySelector('article')?.getAttribute('aria-labelledby')).toBe('unit-d-1');
    expect(card.querySelector('h3')?.textContent).toBe('KXP2-CORO-007');
    expect(card.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('42');
    expect(card.querySelector('[role="progressbar"]')?.getAttribute('aria-label')).toBe('KXP2-CORO-007 progress');
    const content = text(card);
    for (const part of [
      '10000000abc12345',
      'd8:3a:dd:12:34:56',
      '192.168.151.120',
      '42 %',
      '25 MB/s',
      'ETA 12 s',
      '2 min 05 s',
      'writing the image',
    ]) {
      expect(content).toContain(part);
    }
    expect(card.querySelector('app-impersonation-warning')).toBeNull();
  });

  it("warns when another device asked for the unit's configuration", () => {
    const card = render({
      impersonation: { serial: '10000000abc12345', mac: '02:00:5e:00:00:09', ip: '192.168.151.66', at: at(60) },
    });
    const warning = card.querySelector('app-impersonation-warning [role="status"] > span') as HTMLElement;
    expect(text(warning)).toMatch(
      /^ ?Warning: another device \(MAC 02:00:5e:00:00:09, IP 192\.168\.151\.66\) asked for this unit's configuration at \d\d:01:00 and was refused ?$/,
    );
  });

  it('makes a failed unit stand out with its error instead of the last message', () => {
    const card = render({
      status: 'failed',
      error: 'SD card removed',
      finishedAt: at(30),
    });

    expect(card.querySelector('article')?.classList).toContain('failed');
    expect(text(card)).toContain('Error: SD card removed');
    expect(text(card)).not.toContain('writing the image');
    expect(text(card)).not.toContain('ETA');
    expect(text(card)).toContain('30 s');
  });

  it('names the failure class and its LED code, linking to the LED codes card', () => {
    const card = render({
      status: 'failed',
      error: 'card too small: /dev/mmcblk0 holds 7.5 GiB < image 16 GiB',
      failureCode: 'card_too_small',
      failureClass: 'permanent',
      finishedAt: at(30),
    });
    const line = card.querySelector('.failure-code > span') as HTMLElement;
    expect(text(line).trim()).toBe('SD card too small · stopped, waits · LED code 5 red blinks');
    expect(line.querySelector('a')?.getAttribute('href')).toBe('/led-codes');
  });

  it('shows no failure code for failures the server decided (silence, restart)', () => {
    const card = render({ status: 'failed', error: 'no report for 600 s', failureCode: null });
    expect(card.querySelector('.failure-code')).toBeNull();
  });

  const installed = { status: 'success' as const, progress: 100, finishedAt: at(100), message: 'ready' };
  const boot = {
    bootedAt: null,
    secondsToBoot: null,
    hostname: null,
    machineId: null,
    imageVersion: null,
    kernel: null,
    address: null,
    hostnameMismatch: null,
  };

  it('says an installed unit is waiting for its first boot', () => {
    const card = render({ ...installed, boot: { ...boot, state: 'waiting' } });
    expect(text(card.querySelector('app-boot-confirmation')!)).toContain('Installed, waiting for first boot');
    expect(card.querySelector('article')?.classList).not.toContain('unconfirmed');
  });

  it('shows a booted unit with what it said about itself', () => {
    const card = render({
      ...installed,
      bootedAt: at(160),
      boot: {
        ...boot,
        state: 'booted',
        bootedAt: at(160),
        secondsToBoot: 60,
        hostname: 'kxp2-coro-007',
        address: '10.1.2.3',
        kernel: '6.6.51+rpt-rpi-2712',
        imageVersion: 'Raspberry Pi reference 2024-11-19',
      },
    });
    const note = text(card.querySelector('app-boot-confirmation')!);
    expect(note).toMatch(/Booted at \d\d:02:40 \(1 min 00 s after install\)/);
    expect(note).toContain(
      'as kxp2-coro-007, at 10.1.2.3, image Raspberry Pi reference 2024-11-19, kernel 6.6.51+rpt-rpi-2712',
    );
    expect(note).not.toContain('Warning');
    expect(card.querySelector('app-boot-confirmation .booted')).not.toBeNull();
  });

  it('warns when the unit booted under another hostname', () => {
    const mismatch = 'the unit booted as raspberrypi, but was assigned KXP2-CORO-007';
    const card = render({
      ...installed,
      boot: { ...boot, state: 'booted', bootedAt: at(160), hostname: 'raspberrypi', hostnameMismatch: mismatch },
    });
    expect(text(card.querySelector('app-boot-confirmation .mismatch')!)).toContain(`Warning: ${mismatch}`);
  });

  it('marks a unit whose first boot was never reported as not confirmed, in amber', () => {
    const card = render({ ...installed, boot: { ...boot, state: 'unconfirmed' } });
    expect(text(card.querySelector('app-boot-confirmation')!)).toContain(
      'Not confirmed: installed, but no first boot was reported',
    );
    expect(card.querySelector('app-boot-confirmation .unconfirmed')).not.toBeNull();
    expect(card.querySelector('article')?.classList).toContain('unconfirmed');
  });

  it('shows no boot note before the install succeeded', () => {
    expect(render({}).querySelector('app-boot-confirmation')).toBeNull();
  });
});
