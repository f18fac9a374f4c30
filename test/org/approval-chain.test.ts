import { describe, expect, it } from 'vitest';
import { approvalChain, parentProblem, TreeError, type OrgNode } from '../../workflows/org/tree.js';

const node = (id: string, kind: OrgNode['kind'], parentId: string | null, extra: Partial<OrgNode> = {}): OrgNode => ({
  id,
  kind,
  parentId,
  delegated: false,
  competentCommitteeId: null,
  ...extra,
});

function tree(...nodes: OrgNode[]) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (id: string) => byId.get(id);
}

const base = [
  node('upper', 'upper-committee', null),
  node('gc', 'grassroots-committee', 'upper'),
  node('cell', 'cell', 'gc'),
  node('partial', 'partial-committee', 'gc'),
  node('cell-p', 'cell', 'partial'),
  node('gcell', 'grassroots-cell', 'upper'),
];

describe('approvalChain', () => {
  it('cell under a grassroots committee: cell → grassroots committee → upper standing committee', () => {
    expect(approvalChain('cell', tree(...base))).toEqual({
      cell: { body: 'cell', organizationId: 'cell' },
      partialCommittee: null,
      grassrootsCommittee: { body: 'grassroots-committee', organizationId: 'gc' },
      competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
    });
  });

  it('cell under a partial committee: the partial committee appraises between cell and grassroots committee', () => {
    expect(approvalChain('cell-p', tree(...base))).toEqual({
      cell: { body: 'cell', organizationId: 'cell-p' },
      partialCommittee: { body: 'partial-committee', organizationId: 'partial' },
      grassrootsCommittee: { body: 'grassroots-committee', organizationId: 'gc' },
      competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
    });
  });

  it('grassroots cell: cell → upper standing committee, no grassroots committee vote', () => {
    expect(approvalChain('gcell', tree(...base))).toEqual({
      cell: { body: 'cell', organizationId: 'gcell' },
      partialCommittee: null,
      grassrootsCommittee: null,
      competent: { body: 'standing-committee', organizationId: 'upper', delegated: false },
    });
  });

  it('delegated grassroots committee decides itself, with and without a partial committee', () => {
    const delegated = tree(...base.map((n) => (n.id === 'gc' ? { ...n, delegated: true } : n)));
    expect(approvalChain('cell', delegated).competent).toEqual({ body: 'grassroots-committee', organizationId: 'gc', delegated: true });
    expect(approvalChain('cell-p', delegated).competent).toEqual({ body: 'grassroots-committee', organizationId: 'gc', delegated: true });
  });

  it('an explicit competent committee on an ancestor wins, nearest first', () => {
    const nodes = [
      node('city', 'upper-committee', null),
      node('upper', 'upper-committee', 'city', { competentCommitteeId: 'city' }),
      node('gc', 'grassroots-committee', 'upper', { delegated: true }),
      node('cell', 'cell', 'gc'),
      node('gcell', 'grassroots-cell', 'upper'),
    ];
    expect(approvalChain('cell', tree(...nodes)).competent).toMatchObject({ organizationId: 'city', body: 'standing-committee' });
    expect(approvalChain('gcell', tree(...nodes)).competent).toMatchObject({ organizationId: 'city' });
    // the nearest upper committee is the default when nothing is chosen
    expect(approvalChain('gcell', tree(...nodes.map((n) => ({ ...n, competentCommitteeId: null })))).competent).toMatchObject({ organizationId: 'upper' });
  });

  it('refuses a case at a committee, a broken tree and a cycle', () => {
    expect(() => approvalChain('gc', tree(...base))).toThrow(/cases belong to a cell/);
    expect(() => approvalChain('nowhere', tree(...base))).toThrow(TreeError);
    expect(() => approvalChain('orphan', tree(node('orphan', 'cell', 'missing')))).toThrow(/not in the organization tree/);
    expect(() => approvalChain('c', tree(node('a', 'upper-committee', 'b'), node('b', 'upper-committee', 'a'), node('c', 'grassroots-cell', 'a')))).toThrow(/cycle/);
  });
});

describe('parentProblem', () => {
  it.each([
    ['cell', 'grassroots-committee', undefined],
    ['cell', 'partial-committee', undefined],
    ['grassroots-cell', 'upper-committee', undefined],
    ['upper-committee', null, undefined],
    ['cell', 'upper-committee', /a cell must sit under grassroots-committee or partial-committee/],
    ['grassroots-committee', null, /must sit under upper-committee, not under nothing/],
    ['partial-committee', 'cell', /not under cell/],
  ] as const)('%s under %s', (kind, parent, expected) => {
    const problem = parentProblem(kind, parent);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});
