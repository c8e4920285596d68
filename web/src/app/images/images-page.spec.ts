import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import {
  SOCKET_EVENTS,
  type ImageConversionDto,
  type ImageDto,
  type ImageRecompressionDto,
} from '@rpi-deploy/contracts';
import { filter, map, Subject } from 'rxjs';
import { storedSession, storeSession } from '../auth/session.testing';
import { LiveSocket } from '../live/live-socket';
import { ImagesPage } from './images-page';

/** Stands in for the socket: the test announces changes by hand. */
class FakeLiveSocket {
  readonly events = new Subject<{ name: string; payload: unknown }>();
  readonly state = signal<'connected'>('connected');
  on<T>(name: string) {
    return this.events.pipe(
      filter((event) => event.name === name),
      map((event) => event.payload as T),
    );
  }
  emit(name: string, payload: unknown): void {
    this.events.next({ name, payload });
  }
  imagesChanged(id: number): void {
    this.events.next({ name: SOCKET_EVENTS.imagesChanged, payload: { id } });
  }
}

const IMAGE: ImageDto = {
  id: 7,
  product: 'RXP2',
  version: '1.4.0',
  description: null,
  notes: null,
  filename: 'rxp2-1.4.0.img',
  size: 4 * 1024 * 1024,
  sha256: 'ab'.repeat(32),
  uploadCompression: 'none',
  uploadSize: 4 * 1024 * 1024,
  mappedBytes: 1024 * 1024,
  partitionTable: { scheme: 'none', partitions: [] },
  uploadedBy: 'alice',
  uploadedAt: '2026-11-20T10:00:00.000Z',
  capturedFrom: null,
  active: false,
  activatedAt: null,
  chunks: null,
  conversion: null,
  recompression: null,
};

/** Longer than the page's debounce of the reloads. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

// Material tables render slowly in jsdom on a busy machine.
jest.setTimeout(30_000);

describe('ImagesPage', () => {
  let fixture: ComponentFixture<ImagesPage>;
  let backend: HttpTestingController;
  let live: FakeLiveSocket;

  const listRequests = (): TestRequest[] => backend.match({ method: 'GET', url: '/api/images' });

  beforeEach(async () => {
    localStorage.clear();
    storeSession(storedSession({ role: 'operator' }));
    live = new FakeLiveSocket();
    TestBed.configureTestingModule({
      imports: [ImagesPage],
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: LiveSocket, useValue: live }],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ImagesPage);
    await fixture.whenStable();
    const first = listRequests();
    expect(first.length).toBe(1);
    first[0].flush([IMAGE]);
    await fixture.whenStable();
  });

  afterEach(() => {
    // The canaries load beside the list; none runs in these tests.
    for (const request of backend.match({ method: 'GET', url: '/api/images/canaries' })) {
      if (!request.cancelled) request.flush([]);
    }
    backend.verify();
  });

  it('loads the list once per action, though the server also announces the change', async () => {
    const page: HTMLElement = fixture.nativeElement;
    page.querySelector<HTMLButtonElement>('[aria-label="Activate RXP2 1.4.0"]')!.click();
    backend.expectOne({ method: 'POST', url: '/api/images/7/activate' }).flush({ ...IMAGE, active: true });
    live.imagesChanged(IMAGE.id);
    await settle();

    const reloads = listRequests();
    expect(reloads.length).toBe(1);
    reloads[0].flush([{ ...IMAGE, active: true }]);
    await fixture.whenStable();
    expect(page.querySelector('[aria-label="Activate RXP2 1.4.0"]')).toBeNull();
  });

  it('converts a version that is not chunked, following its progress live, then shows its figures', async () => {
    const page: HTMLElement = fixture.nativeElement;
    expect(page.textContent).toContain('not chunked');
    page.querySelector<HTMLButtonElement>('[aria-label="Convert RXP2 1.4.0 into chunks"]')!.click();
    const queued: ImageConversionDto = { imageId: 7, state: 'queued', doneBytes: 0, totalBytes: IMAGE.mappedBytes };
    backend.expectOne({ method: 'POST', url: '/api/images/7/chunks' }).flush(queued);
    live.emit(SOCKET_EVENTS.imageConversion, { ...queued, state: 'running', doneBytes: IMAGE.mappedBytes / 4 });
    await fixture.whenStable();
    const bar = page.querySelector('[aria-label="Converting RXP2 1.4.0"]');
    expect(bar?.getAttribute('aria-valuenow')).toBe('25');
    expect(page.textContent).toContain('256.0 KiB of 1.00 MiB');
    expect(page.querySelector('[aria-label="Convert RXP2 1.4.0 into chunks"]')).toBeNull();

    live.emit(SOCKET_EVENTS.imageConversion, { ...queued, state: 'done', doneBytes: IMAGE.mappedBytes });
    live.imagesChanged(7);
    await settle();
    listRequests()[0]!.flush([
      { ...IMAGE, chunks: { chunkCount: 1, storedBytes: 256 * 1024, sharedWithPreviousBytes: null } },
    ]);
    await fixture.whenStable();
    expect(page.textContent).toContain('1.00 MiB mapped, 256.0 KiB stored (4.0×)');
    expect(page.textContent).not.toContain('not chunked');
  });

  it('shows the background recompression of a captured version live, and its new figures once done', async () => {
    const page: HTMLElement = fixture.nativeElement;
    live.imagesChanged(7);
    await settle();
    listRequests()[0]!.flush([
      { ...IMAGE, chunks: { chunkCount: 1, storedBytes: 512 * 1024, sharedWithPreviousBytes: null } },
    ]);
    await fixture.whenStable();
    const running: ImageRecompressionDto = {
      imageId: 7,
      state: 'running',
      doneBytes: IMAGE.mappedBytes / 2,
      totalBytes: IMAGE.mappedBytes,
    };
    live.emit(SOCKET_EVENTS.imageRecompression, running);
    await fixture.whenStable();
    expect(page.querySelector('[aria-label="Recompressing RXP2 1.4.0"]')?.getAttribute('aria-valuenow')).toBe('50');
    expect(page.textContent).toContain('recompressing: 512.0 KiB of 1.00 MiB');

    live.emit(SOCKET_EVENTS.imageRecompression, { ...running, state: 'done', doneBytes: IMAGE.mappedBytes });
    live.imagesChanged(7);
    await settle();
    listRequests()[0]!.flush([
      { ...IMAGE, chunks: { chunkCount: 1, storedBytes: 256 * 1024, sharedWithPreviousBytes: null } },
    ]);
    await fixture.whenStable();
    expect(page.querySelector('[aria-label="Recompressing RXP2 1.4.0"]')).toBeNull();
    expect(page.textContent).toContain('1.00 MiB mapped, 256.0 KiB stored (4.0×)');
  });

  it("reloads once for another user's change", async () => {
    live.imagesChanged(8);
    live.imagesChanged(8);
    await settle();

    expect(listRequests().length).toBe(1);
  });

  it('still reloads after its own change when the socket says nothing', async () => {
    const page: HTMLElement = fixture.nativeElement;
    page.querySelector<HTMLButtonElement>('[aria-label="Activate RXP2 1.4.0"]')!.click();
    backend.expectOne({ method: 'POST', url: '/api/images/7/activate' }).flush({ ...IMAGE, active: true });
    await settle();

    expect(listRequests().length).toBe(1);
  });
});
