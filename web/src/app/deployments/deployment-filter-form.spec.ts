import { toDeploymentFilter } from './deployment-filter-form';

const blank = { status: '', venue: '', product: '', fromDate: '', toDate: '' };

describe('toDeploymentFilter', () => {
  it('sends nothing for an empty form', () => {
    expect(toDeploymentFilter(blank)).toEqual({});
  });

  it('passes status and product, and upper-cases the venue', () => {
    expect(toDeploymentFilter({ ...blank, status: 'failed', product: 'RXP2', venue: ' coro ' })).toEqual({
      status: 'failed',
      product: 'RXP2',
      venue: 'CORO',
    });
  });

  it('turns local days into instants, with "to" including its whole day', () => {
    const filter = toDeploymentFilter({ ...blank, fromDate: '2026-11-01', toDate: '2026-11-03' });

    expect(new Date(filter.from!).getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(new Date(filter.to!).getTime()).toBe(new Date(2026, 10, 4).getTime());
  });
});
