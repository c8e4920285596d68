import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideNoopAnimations } from '@angular/platform-browser/animations';
import type { DeploymentDto, UnitCommandDto } from '@rpi-deploy/contracts';
import { storedSession, storeSession } from '../auth/session.testing';
import { deploymentDto } from '../dashboard/testing/deployment-dto';
import { UnitActions } from './unit-actions';

jest.setTimeout(30_000);

const FAILED: Partial<DeploymentDto> = {
  id: 'd-9',
  status: 'failed',
  hostname: 'KXP2-CORO-009',
  failureCode: 'card_too_small',
  failureClass: 'permanent',
};

function command(overrides: Partial<UnitCommandDto>): UnitCommandDto {
  return {
    id: 31,
    deploymentId: 'd-9',
    command: 'identify',
    state: 'queued',
    requestedBy: 'alice',
    requestedAt: '2026-12-05T10:00:00.000Z',
    deliveredAt: null,
    doneAt: null,
    ...overrides,
  };
}

describe('UnitActions', () => {
  let fixture: ComponentFixture<UnitActions>;
  let backend: HttpTestingController;

  function render(overrides: Partial<DeploymentDto>, role: 'viewer' | 'operator' = 'operator'): HTMLElement {
    localStorage.clear();
    storeSession(storedSession({ role }));
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideNoopAnimations()],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(UnitActions);
    fixture.componentRef.setInput('deployment', deploymentDto(overrides));
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  const menuItem = (label: string): HTMLButtonElement => {
    const items = [...document.querySelectorAll<HTMLButtonElement>('[mat-menu-item]')];
    const item = items.find((one) => one.textContent?.includes(label));
    if (!item) throw new Error(`no menu item ${label} among ${items.map((one) => one.textContent).join(', ')}`);
    return item;
  };
  const open = (element: HTMLElement) => {
    (element.querySelector('button[aria-label="Actions for KXP2-CORO-009"]') as HTMLButtonElement).click();
    fixture.detectChanges();
  };

  afterEach(() => backend?.verify());

  it('offers identify, retry and power off on a failed unit to operators, and follows a command to done', async () => {
    jest.useFakeTimers();
    try {
      const element = render(FAILED);
      open(element);
      menuItem('Identify').click();
      const post = backend.expectOne({ method: 'POST', url: '/api/deployments/d-9/commands' });
      expect(post.request.body).toEqual({ command: 'identify' });
      post.flush(command({}));
      fixture.detectChanges();
      expect(element.querySelector('[role="status"]')?.textContent?.trim()).toBe('Identify: queued');

      jest.advanceTimersByTime(1000);
      backend.expectOne('/api/deployments/d-9/commands').flush([command({ state: 'delivered' })]);
      fixture.detectChanges();
      expect(element.querySelector('[role="status"]')?.textContent?.trim()).toBe('Identify: delivered');

      jest.advanceTimersByTime(1000);
      backend.expectOne('/api/deployments/d-9/commands').flush([command({ state: 'done' })]);
      fixture.detectChanges();
      expect(element.querySelector('[role="status"]')?.textContent?.trim()).toBe('Identify: done');
      // Done: no more asking.
      jest.advanceTimersByTime(5000);
      backend.expectNone('/api/deployments/d-9/commands');
    } finally {
      jest.useRealTimers();
    }
  });

  it("shows the server's refusal when the unit is not waiting", () => {
    const element = render(FAILED);
    open(element);
    menuItem('Retry').click();
    backend
      .expectOne({ method: 'POST', url: '/api/deployments/d-9/commands' })
      .flush(
        { statusCode: 409, message: 'KXP2-CORO-009 (deployment d-9, failed) is not waiting for an operator' },
        { status: 409, statusText: 'Conflict' },
      );
    fixture.detectChanges();
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('is not waiting for an operator');
    expect(element.querySelector('[role="status"]')).toBeNull();
  });

  it('asks before powering off, and sends nothing when cancelled', async () => {
    const element = render(FAILED);
    open(element);
    menuItem('Power off').click();
    fixture.detectChanges();
    await fixture.whenStable();
    const cancel = [...document.querySelectorAll<HTMLButtonElement>('mat-dialog-actions button')].find(
      (button) => button.textContent?.trim() === 'Cancel',
    );
    expect(document.querySelector('[mat-dialog-title]')?.textContent).toBe('Power off KXP2-CORO-009?');
    cancel!.click();
    fixture.detectChanges();
    await fixture.whenStable();
    backend.expectNone({ method: 'POST', url: '/api/deployments/d-9/commands' });
  });

  it('offers nothing to viewers', () => {
    expect(render(FAILED, 'viewer').querySelector('button')).toBeNull();
  });

  it('offers nothing on units that have not failed', () => {
    expect(render({ ...FAILED, status: 'downloading' }).querySelector('button')).toBeNull();
  });
});
