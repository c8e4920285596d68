import { TestBed } from '@angular/core/testing';
import type { DeploymentDto } from '@rpi-deploy/contracts';
import { applyUpdates } from '../live-units';
import { deploymentDto } from '../testing/deployment-dto';
import { WallTile } from './wall-tile';
import type { WallState } from './wall-units';

function render(overrides: Partial<DeploymentDto>, state: WallState) {
  const deployment = deploymentDto({ id: 'd-1', hostname: 'KXP2-CORO-007', progress: 42, ...overrides });
  const fixture = TestBed.createComponent(WallTile);
  fixture.componentRef.setInput('unit', applyUpdates(new Map(), [deployment]).get('d-1'));
  fixture.componentRef.setInput('state', state);
  fixture.detectChanges();
  const opened: string[] = [];
  fixture.componentInstance.opened.subscribe((id) => opened.push(id));
  return { button: (fixture.nativeElement as HTMLElement).querySelector('button')!, opened };
}

describe('WallTile', () => {
  it('names the unit, its state and percent, in text as well as colour', () => {
    const { button } = render({ status: 'downloading' }, 'working');
    expect(button.className).toContain('working');
    expect(button.querySelector('.hostname')?.textContent).toBe('KXP2-CORO-007');
    expect(button.querySelector('.percent')?.textContent).toBe('42 %');
    expect(button.getAttribute('aria-label')).toBe('KXP2-CORO-007: working, 42 %, downloading');
  });

  it("shows a failed unit's LED code, or the cause of a failure the server decided", () => {
    const failed = { status: 'failed' as const, error: 'card too small: 8 GB < 16 GB' };
    expect(render(failed, 'failed').button.querySelector('.detail')?.textContent).toBe('card too small: 8 GB < 16 GB');
    const classified = { ...failed, failureCode: 'card_too_small' as const, failureClass: 'permanent' as const };
    expect(render(classified, 'failed').button.querySelector('.detail')?.textContent).toBe('LED 5 red');
  });

  it('says a silent unit is silent, and in which phase', () => {
    expect(render({ status: 'verifying' }, 'silent').button.querySelector('.detail')?.textContent).toBe(
      'silent · verifying',
    );
  });

  it("opens the unit's card when clicked", () => {
    const { button, opened } = render({}, 'working');
    button.click();
    expect(opened).toEqual(['d-1']);
  });
});
