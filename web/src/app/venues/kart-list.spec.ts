import { parseKartList } from './kart-list';

describe('parseKartList', () => {
  it('reads numbers separated by commas, spaces and new lines', () => {
    expect(parseKartList('1, 2 7\n010;12')).toEqual({ numbers: [1, 2, 7, 10, 12] });
  });

  it('expands ranges and drops duplicates', () => {
    expect(parseKartList('3-5, 4, 9')).toEqual({ numbers: [3, 4, 5, 9] });
  });

  it.each([
    ['', 'Enter at least one kart number.'],
    ['1, x2', '"x2" is not a kart number.'],
    ['0', '"0" is outside 1-999.'],
    ['1000', '"1000" is not a kart number.'],
    ['9-3', 'In "9-3" the first number must not be greater than the second.'],
  ])('refuses %p', (text, error) => {
    expect(parseKartList(text)).toEqual({ error });
  });
});
