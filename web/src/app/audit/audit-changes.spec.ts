import { auditChanges } from './audit-changes';

describe('auditChanges', () => {
  it('lists only the fields that changed, with both values as text', () => {
    expect(
      auditChanges(
        { name: 'Audit Ring', location: null, pool: { available: 2 } },
        { name: 'Audit Circuit', location: 'Hall 2', pool: { available: 2 } },
      ),
    ).toEqual([
      { field: 'name', before: 'Audit Ring', after: 'Audit Circuit' },
      { field: 'location', before: '', after: 'Hall 2' },
    ]);
  });

  it('shows every field of a created or a removed target', () => {
    expect(auditChanges(null, { code: 'CORO', count: 2 })).toEqual([
      { field: 'code', before: '', after: 'CORO' },
      { field: 'count', before: '', after: '2' },
    ]);
    expect(auditChanges({ code: 'CORO' }, null)).toEqual([{ field: 'code', before: 'CORO', after: '' }]);
  });

  it('compares states that are not objects whole, and finds nothing in two empty ones', () => {
    expect(auditChanges(null, [1, 2])).toEqual([{ field: 'value', before: '', after: '[1,2]' }]);
    expect(auditChanges(null, null)).toEqual([]);
  });
});
