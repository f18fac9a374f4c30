import { describe, expect, it } from 'vitest';
import { establishmentShape, proposalProblem } from '../../workflows/establishment-rules.js';

describe('establishment rules (domain.md §2.1)', () => {
  it.each([
    [{ official: 3, probationary: 0 }, 'grassroots-cell', 'secretary'],
    [{ official: 8, probationary: 5 }, 'grassroots-cell', 'secretary'],
    [{ official: 9, probationary: 0 }, 'grassroots-cell', 'committee'],
    [{ official: 20, probationary: 9 }, 'grassroots-cell', 'committee'],
    [{ official: 20, probationary: 10 }, 'grassroots-committee', 'committee'],
    [{ official: 30, probationary: 0 }, 'grassroots-committee', 'committee'],
  ] as const)('%o → %s with a %s', (members, kind, leadership) => {
    expect(establishmentShape(members)).toMatchObject({ kind, leadership });
  });

  it('needs three official members before a proposal', () => {
    expect(proposalProblem({ official: 2 })).toMatch(/2 official member\(s\) .* at least 3 .* host cell/);
    expect(proposalProblem({ official: 3 })).toBeUndefined();
  });

  it('refuses counts that are not whole numbers', () => {
    expect(() => establishmentShape({ official: -1, probationary: 0 })).toThrow(/official must be a whole number/);
    expect(() => establishmentShape({ official: 2.5, probationary: 0 })).toThrow(RangeError);
  });
});
