import { TestBed } from '@angular/core/testing';
import { FAILURE_CODE_NAMES } from '@rpi-deploy/contracts';
import { LedCodesPage } from './led-codes-page';

describe('LedCodesPage', () => {
  it('prints every failure code with its red blinks, class and what to do, and the state patterns', () => {
    const fixture = TestBed.createComponent(LedCodesPage);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const rows = [...element.querySelectorAll('tbody tr')];
    expect(rows.map((row) => row.getAttribute('data-code'))).toEqual(FAILURE_CODE_NAMES);
    const cells = (code: string) =>
      [...element.querySelectorAll(`tr[data-code="${code}"] td`)].map((cell) => cell.textContent?.trim());
    expect(cells('card_too_small')).toEqual([
      '5',
      'SD card too small',
      'stops and waits',
      'Fit a larger card, then Retry.',
    ]);
    expect(cells('network')[2]).toBe('retries by itself');
    expect(element.textContent).toContain('Green and red alternating fast (30 s)');
  });
});
