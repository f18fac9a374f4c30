/**
 * The party organization tree and the approval chain of a case (DESIGN.md §3). Pure code, shared by the
 * workflows and the API.
 *
 * Shapes:  upper committee ─┬─ grassroots committee (đảng bộ cơ sở) ─┬─ cell (chi bộ trực thuộc)
 *                           │                                       └─ partial committee ── cell
 *                           └─ grassroots cell (chi bộ cơ sở)
 */

export const ORG_KINDS = ['upper-committee', 'grassroots-committee', 'partial-committee', 'cell', 'grassroots-cell'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

/** The bodies that sign steps; an approver acts for one body of one organization. */
export const BODIES = ['cell', 'partial-committee', 'grassroots-committee', 'standing-committee'] as const;
export type Body = (typeof BODIES)[number];

export const ORG_KIND_LABELS: Readonly<Record<OrgKind, { readonly vi: string; readonly en: string }>> = {
  'upper-committee': { vi: 'Đảng ủy cấp trên cơ sở', en: 'Upper-level committee' },
  'grassroots-committee': { vi: 'Đảng bộ cơ sở', en: 'Grassroots party committee' },
  'partial-committee': { vi: 'Đảng ủy bộ phận', en: 'Partial committee' },
  cell: { vi: 'Chi bộ trực thuộc', en: 'Cell under a committee' },
  'grassroots-cell': { vi: 'Chi bộ cơ sở', en: 'Grassroots cell' },
};

/** Which kinds may be the parent of each kind (null: a root). */
export const ALLOWED_PARENTS: Readonly<Record<OrgKind, ReadonlyArray<OrgKind | null>>> = {
  'upper-committee': [null, 'upper-committee'],
  'grassroots-committee': ['upper-committee'],
  'grassroots-cell': ['upper-committee'],
  'partial-committee': ['grassroots-committee'],
  cell: ['grassroots-committee', 'partial-committee'],
};

export interface OrgNode {
  readonly id: string;
  readonly kind: OrgKind;
  readonly parentId: string | null;
  /** A grassroots committee delegated to decide admissions itself (HD 06-2025 3.7a). */
  readonly delegated: boolean;
  /** An explicit competent committee for decisions of this subtree; null: inherited or the default. */
  readonly competentCommitteeId: string | null;
}

export interface ChainLink {
  readonly body: Body;
  readonly organizationId: string;
}

export interface ApprovalChain {
  /** The cell that votes (chi bộ). */
  readonly cell: ChainLink;
  /** The partial committee that appraises, when the cell sits under one. */
  readonly partialCommittee: ChainLink | null;
  /** The grassroots committee that votes, absent for a grassroots cell. */
  readonly grassrootsCommittee: ChainLink | null;
  /** Who decides admission and recognition. */
  readonly competent: ChainLink & { readonly delegated: boolean };
}

export class TreeError extends Error {
  override name = 'TreeError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

export const bodyOf = (kind: OrgKind): Body =>
  kind === 'upper-committee'
    ? 'standing-committee'
    : kind === 'grassroots-committee'
      ? 'grassroots-committee'
      : kind === 'partial-committee'
        ? 'partial-committee'
        : 'cell';

/**
 * The chain of bodies that sign a case of organization `orgId`:
 * cell → (partial committee) → grassroots committee → competent committee, or grassroots cell → competent.
 * The competent committee is, in order: an explicit choice on the cell or an ancestor (nearest first); a
 * grassroots committee delegated to decide; else the standing committee of the nearest upper committee.
 */
export function approvalChain(orgId: string, lookup: (id: string) => OrgNode | undefined): ApprovalChain {
  const get = (id: string | null, what: string): OrgNode => {
    const node = id ? lookup(id) : undefined;
    if (!node) throw new TreeError('exists', `${what} ${id ?? '(none)'} is not in the organization tree`);
    return node;
  };
  const cell = get(orgId, 'organization');
  if (cell.kind !== 'cell' && cell.kind !== 'grassroots-cell') {
    throw new TreeError('kind', `cases belong to a cell or a grassroots cell, not to a ${cell.kind}`);
  }
  let partial: OrgNode | null = null;
  let grassroots: OrgNode | null = null;
  if (cell.kind === 'cell') {
    const parent = get(cell.parentId, 'parent of the cell');
    if (parent.kind === 'partial-committee') {
      partial = parent;
      grassroots = get(parent.parentId, 'parent of the partial committee');
    } else {
      grassroots = parent;
    }
    if (grassroots.kind !== 'grassroots-committee') {
      throw new TreeError('shape', `a cell must sit under a grassroots committee, found ${grassroots.kind}`);
    }
  }

  const ancestors: OrgNode[] = [];
  const seen = new Set<string>();
  for (let node: OrgNode | undefined = cell; node; node = node.parentId ? lookup(node.parentId) : undefined) {
    if (seen.has(node.id)) throw new TreeError('cycle', `the tree has a cycle through ${node.id}`);
    seen.add(node.id);
    ancestors.push(node);
  }

  const explicit = ancestors.find((n) => n.competentCommitteeId !== null);
  let competent: ApprovalChain['competent'];
  if (explicit) {
    const chosen = get(explicit.competentCommitteeId, 'competent committee');
    if (chosen.kind !== 'upper-committee' && chosen.kind !== 'grassroots-committee') {
      throw new TreeError('kind', `the competent committee must be an upper or grassroots committee, not a ${chosen.kind}`);
    }
    competent = { body: bodyOf(chosen.kind), organizationId: chosen.id, delegated: chosen.kind === 'grassroots-committee' };
  } else if (grassroots?.delegated) {
    competent = { body: 'grassroots-committee', organizationId: grassroots.id, delegated: true };
  } else {
    const upper = ancestors.find((n) => n.kind === 'upper-committee');
    if (!upper) throw new TreeError('shape', `no upper committee above ${cell.id} to decide its cases`);
    competent = { body: 'standing-committee', organizationId: upper.id, delegated: false };
  }

  return {
    cell: { body: 'cell', organizationId: cell.id },
    partialCommittee: partial ? { body: 'partial-committee', organizationId: partial.id } : null,
    grassrootsCommittee: grassroots ? { body: 'grassroots-committee', organizationId: grassroots.id } : null,
    competent,
  };
}

/** Why `kind` may not sit under `parentKind` (null: a root), or undefined when it may. */
export function parentProblem(kind: OrgKind, parentKind: OrgKind | null): string | undefined {
  const allowed = ALLOWED_PARENTS[kind];
  if (allowed.includes(parentKind)) return undefined;
  const names = allowed.map((k) => k ?? 'no parent (a root)').join(' or ');
  return `a ${kind} must sit under ${names}, not under ${parentKind ?? 'nothing'}`;
}
