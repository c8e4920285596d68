import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MAT_DIALOG_DATA, MatDialogRef } from '@angular/material/dialog';
import type { GeneralisePlanDto, ImageDto } from '@rpi-deploy/contracts';
import { GeneraliseDialog } from './generalise-dialog';
import { ImageChangesDialog } from './image-changes-dialog';

const image = (id: number, version: string): ImageDto => ({
  id,
  product: 'RXP2',
  version,
  description: null,
  notes: null,
  filename: `rxp2-${id}.img`,
  size: 4 << 20,
  sha256: 'ab'.repeat(32),
  uploadCompression: 'none',
  uploadSize: 4 << 20,
  mappedBytes: 1 << 20,
  partitionTable: { scheme: 'none', partitions: [] },
  uploadedBy: 'alice',
  uploadedAt: '2026-11-20T10:00:00.000Z',
  active: false,
  activatedAt: null,
  chunks: null,
  conversion: null,
  recompression: null,
});

const PLAN: GeneralisePlanDto = {
  imageId: 7,
  version: '1.4.0',
  always: [{ path: '/etc/machine-id', what: 'emptied' }],
  candidates: [
    { path: '/root/.bash_history', kind: 'shell-history', action: 'remove', bytes: 12 },
    { path: '/var/log/syslog', kind: 'log', action: 'empty', bytes: 300 },
  ],
};

jest.setTimeout(30_000);

function setUp(component: unknown, data: unknown) {
  const close = jest.fn();
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: MAT_DIALOG_DATA, useValue: data },
      { provide: MatDialogRef, useValue: { close } },
    ],
  });
  const fixture = TestBed.createComponent(component as never);
  return { fixture, close, backend: TestBed.inject(HttpTestingController) };
}

describe('GeneraliseDialog', () => {
  it('shows what is always cleared and sends only the ticked candidates with the new version', async () => {
    const { fixture, close, backend } = setUp(GeneraliseDialog, image(7, '1.4.0'));
    backend.expectOne('/api/images/7/generalise').flush(PLAN);
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    expect(element.querySelector('[data-testid="always-cleared"]')?.textContent).toContain('/etc/machine-id');
    const boxes = element.querySelectorAll<HTMLInputElement>('input[type="checkbox"]');
    expect(boxes.length).toBe(2);
    boxes[1].click();
    await fixture.whenStable();
    const generalise = [...element.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Generalise');
    generalise!.click();
    const request = backend.expectOne({ method: 'POST', url: '/api/images/7/generalise' });
    expect(request.request.body).toEqual({ version: '1.4.0-g', clear: ['/var/log/syslog'] });
    const stored = image(9, '1.4.0-g');
    request.flush(stored);
    expect(close).toHaveBeenCalledWith(stored);
    backend.verify();
  });
});

describe('ImageChangesDialog', () => {
  it('compares with the version uploaded just before, and lists the package changes', async () => {
    const newer = image(9, '2.0.0');
    const { fixture, backend } = setUp(ImageChangesDialog, {
      image: image(7, '1.4.0'),
      others: [newer, image(5, '1.3.0')],
    });
    const request = backend.expectOne((r) => r.url === '/api/images/7/changes');
    expect(request.request.params.get('from')).toBe('5');
    request.flush({
      from: { id: 5, version: '1.3.0', size: 4 << 20, mappedBytes: 1 << 20, storedBytes: null },
      to: { id: 7, version: '1.4.0', size: 4 << 20, mappedBytes: 1 << 20, storedBytes: null },
      sharedBytes: null,
      packages: {
        added: [{ name: 'recorder-agent', version: '2.0.0-1' }],
        removed: [],
        upgraded: [{ name: 'libc6', from: '2.36-9+deb12u4', to: '2.36-9+deb12u7' }],
        downgraded: [],
        unchanged: 3,
      },
    });
    await fixture.whenStable();
    const text = (fixture.nativeElement as HTMLElement).querySelector('[data-testid="package-changes"]')?.textContent;
    expect(text).toContain('Packages added (1)');
    expect(text).toContain('recorder-agent 2.0.0-1');
    expect(text).toContain('libc6 2.36-9+deb12u4 → 2.36-9+deb12u7');
    expect(text).not.toContain('downgraded');
    backend.verify();
  });
});
