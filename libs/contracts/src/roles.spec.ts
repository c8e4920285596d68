import { isRole, roleSatisfies } from './roles';

describe('roleSatisfies', () => {
  it.each([
    ['admin', 'admin', true],
    ['admin', 'operator', true],
    ['admin', 'viewer', true],
    ['operator', 'admin', false],
    ['operator', 'operator', true],
    ['operator', 'viewer', true],
    ['viewer', 'admin', false],
    ['viewer', 'operator', false],
    ['viewer', 'viewer', true],
  ] as const)('%s satisfies %s: %s', (role, required, expected) => {
    expect(roleSatisfies(role, required)).toBe(expected);
  });

  it('recognises only the three roles', () => {
    expect(['admin', 'operator', 'viewer', 'root', '', undefined, 1].map(isRole)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});
