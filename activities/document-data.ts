/**
 * What each signed step issues, and the data of each paper, read from Postgres by ids.
 *
 * The workflow sends only ids, dates and counts (its activity inputs are kept in the workflow history, where
 * personal data must not go); names, dates of birth and the organizations' names and places are read here.
 */
import type { Queryable } from '../infra/db/pool.js';
import type { ApprovalChain, ChainLink } from '../workflows/org/tree.js';
import type { StepDocumentsRequest } from '../workflows/definitions.js';

/** One paper to issue: its form, the data its template reads, and how it is numbered. */
export interface PlannedDocument {
  readonly form: string;
  /** Distinguishes papers of one form for one step (the two introducers' 3-KNĐ). */
  readonly key: string;
  readonly data: Record<string, unknown>;
  /** Counter-numbered (resolutions): the issuing body's series for the year. */
  readonly numbering?: { readonly organizationId: string; readonly series: string; readonly symbol: string; readonly year: number };
  /** A number given at the sign-off (decisions are entered from the committee's register). */
  readonly numberText?: string;
}

interface OrgInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly symbol: string | null;
  readonly place: string | null;
  readonly parentName: string | null;
}

/** Where a missing field comes from, so the refusal tells the user what to fix. */
export const FIELD_SOURCES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^place$/, 'set "place" on the issuing organization or one above it (PATCH /api/v1/organizations/:id)'],
  [/^candidate\./, "the candidate's person record (PATCH /api/v1/people/:id)"],
  [/^introducer\.admittedOn$/, "the introducer's admittedOn on the person record"],
  [/^helper\./, 'the helper named at the source or ceremony step'],
  [/^appointee\./, 'data.appointeePersonId of the decision sign-off'],
  [/^meeting\./, 'record the owner meeting that consented (POST /api/v1/cases/:id/owner-meetings)'],
  [/^signer\.name$/, "the signing user's display name"],
  [/^issuer\./, 'the organization tree'],
];

const SEX: Record<string, string> = { male: 'Nam', female: 'Nữ' };
const ATTITUDE: Record<string, string> = { supportive: 'ủng hộ', neutral: 'chưa rõ thái độ', opposed: 'chưa đồng ý' };
const UPPER = (s: string | null | undefined) => (s ? s.toLocaleUpperCase('vi-VN') : s);

/** How each body signs: "T/M CHI BỘ / BÍ THƯ" … */
const SIGNS_AS: Record<ChainLink['body'] | 'staff', { onBehalf: string; title: string }> = {
  cell: { onBehalf: 'T/M CHI BỘ', title: 'BÍ THƯ' },
  'partial-committee': { onBehalf: 'T/M ĐẢNG ỦY BỘ PHẬN', title: 'BÍ THƯ' },
  'grassroots-committee': { onBehalf: 'T/M ĐẢNG ỦY', title: 'BÍ THƯ' },
  'standing-committee': { onBehalf: 'T/M BAN THƯỜNG VỤ', title: 'BÍ THƯ' },
  staff: { onBehalf: 'T/L BAN THƯỜNG VỤ', title: 'TRƯỞNG BAN TỔ CHỨC' },
};

async function organization(db: Queryable, id: string): Promise<OrgInfo | undefined> {
  // The place is the nearest one up the tree (the organization's own first).
  const { rows } = await db.query<OrgInfo>(
    `SELECT o.id, o.name, o.kind, o.symbol, p.name AS "parentName",
            (SELECT a.place FROM unnest(o.path) WITH ORDINALITY AS u(id, n) JOIN organizations a ON a.id = u.id
              WHERE a.place IS NOT NULL ORDER BY u.n DESC LIMIT 1) AS place
       FROM organizations o LEFT JOIN organizations p ON p.id = o.parent_id WHERE o.id = $1`,
    [id],
  );
  return rows[0];
}

type Person = Record<'fullName' | 'dateOfBirth' | 'sex' | 'admittedOn', string | null> & Record<string, string | null>;

async function person(db: Queryable, id: string | null | undefined): Promise<Person | undefined> {
  if (!id) return undefined;
  const { rows } = await db.query<Person>(
    `SELECT full_name AS "fullName", to_char(date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", sex, birth_name AS "birthName",
            aliases, place_of_birth AS "placeOfBirth", hometown, permanent_residence AS "permanentResidence",
            temporary_residence AS "temporaryResidence", ethnicity, religion, general_education AS "generalEducation",
            occupation, to_char(admitted_on, 'YYYY-MM-DD') AS "admittedOn"
       FROM people WHERE id = $1`,
    [id],
  );
  const p = rows[0];
  return p && { ...p, sex: p.sex ? (SEX[p.sex] ?? null) : null };
}

/** The document symbol of an issuing body: its own, else the usual abbreviation of its kind. */
const symbolOf = (o: OrgInfo) => o.symbol ?? (o.kind.includes('cell') ? 'CB' : 'ĐU');

/** Letterhead, place and signature of a paper issued by `org`, signed by `signer` as `as`. */
async function letter(db: Queryable, orgId: string | null | undefined, as: keyof typeof SIGNS_AS, signerUserId: string | null, date: string) {
  const org = orgId ? await organization(db, orgId) : undefined;
  const { rows } = signerUserId ? await db.query<{ name: string }>('SELECT display_name AS name FROM users WHERE id = $1', [signerUserId]) : { rows: [] };
  return {
    org,
    base: {
      place: org?.place ?? null,
      date,
      issuer: org && { name: UPPER(org.name), superior: UPPER(org.parentName) ?? '', deciding: deciding(org) },
      signer: { ...SIGNS_AS[as], name: rows[0]?.name ?? null },
    },
  };
}

function deciding(o: OrgInfo): string {
  return o.kind === 'upper-committee' ? `Ban Thường vụ ${o.name}` : o.name;
}

/** The step-completed events of the case so far, latest first (dates of earlier resolutions, the helper). */
async function history(db: Queryable, caseId: string) {
  const { rows } = await db.query<{ step: string; data: Record<string, unknown> }>(
    `SELECT step, data FROM case_events WHERE case_id = $1 AND kind = 'step-completed' ORDER BY seq DESC`,
    [caseId],
  );
  return {
    last: (step: string, outcome?: string) => rows.find((r) => r.step === step && (!outcome || r.data.outcome === outcome))?.data,
    helperPersonId: () => rows.find((r) => typeof r.data.helperPersonId === 'string')?.data.helperPersonId as string | undefined,
  };
}

const yearOf = (iso: string) => Number(iso.slice(0, 4));
const resolution = (o: OrgInfo | undefined, date: string) => (o ? { organizationId: o.id, series: 'NQ', symbol: symbolOf(o), year: yearOf(date) } : undefined);

/** The papers a sign-off issues, with their data. An empty list: the step issues nothing. */
export async function planStepDocuments(db: Queryable, r: StepDocumentsRequest): Promise<PlannedDocument[]> {
  return r.type === 'admission' ? planAdmission(db, r) : planEstablishment(db, r);
}

async function planAdmission(db: Queryable, r: StepDocumentsRequest): Promise<PlannedDocument[]> {
  const d = r.data as Record<string, unknown> & { step: string };
  const chain = r.chain as ApprovalChain;
  const { rows } = await db.query<{ personId: string; organizationId: string }>(
    'SELECT person_id AS "personId", organization_id AS "organizationId" FROM cases WHERE id = $1',
    [r.caseId],
  );
  const c = rows[0];
  if (!c) return [];
  const candidate = await person(db, c.personId);
  const cellOrg = await organization(db, chain.cell.organizationId);
  const cell = { name: cellOrg?.name ?? null };
  const facts = r.facts as Record<string, string | undefined>;
  const common = { candidate, cell, admittedOn: facts.decisionOn ?? null };
  const vote = d.vote as Record<string, unknown> | undefined;
  const passed = r.outcome === 'passed';
  const past = await history(db, r.caseId);

  switch (d.step) {
    case 'application': {
      const upper = chain.grassrootsCommittee ?? chain.competent;
      const l = await letter(db, upper.organizationId, 'staff', null, d.receivedOn as string);
      return [
        { form: '1-KNĐ', key: '', data: { ...common, place: l.base.place, date: d.receivedOn, issuer: l.base.issuer } },
        { form: '2-KNĐ', key: '', data: { ...common } },
      ];
    }
    case 'introduction': {
      const out: PlannedDocument[] = [];
      const introducers = d.introducers as Array<{ personId: string; coWorkingMonths: number }>;
      for (const [n, i] of introducers.entries()) {
        const intro = await person(db, i.personId);
        const l = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, d.introducedOn as string);
        out.push({
          form: '3-KNĐ',
          key: String(n),
          data: {
            ...l.base,
            ...common,
            introducer: intro && { fullName: intro.fullName, admittedOn: intro.admittedOn, coWorkingMonths: i.coWorkingMonths },
            // The introducer signs the introduction.
            signer: { onBehalf: '', title: 'NGƯỜI GIỚI THIỆU', name: intro?.fullName ?? null },
          },
        });
      }
      return out;
    }
    case 'opinions': {
      if (!Array.isArray(d.opinions)) return [];
      const l = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, d.summarizedOn as string);
      return [{ form: '5-KNĐ', key: '', data: { ...l.base, ...common, opinions: d.opinions } }];
    }
    case 'cell-vote': {
      if (!passed) return [];
      const l = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, vote!.heldOn as string);
      return [{ form: '6-KNĐ', key: '', data: { ...l.base, ...common, vote }, numbering: resolution(l.org, vote!.heldOn as string) }];
    }
    case 'partial-appraisal': {
      const l = await letter(db, chain.partialCommittee?.organizationId, 'partial-committee', r.actorUserId, d.reportedOn as string);
      return [{ form: '7-KNĐ', key: '', data: { ...l.base, ...common, recommendation: { admit: d.recommendation === 'admit' } } }];
    }
    case 'committee-vote': {
      if (!passed) return [];
      const l = await letter(db, chain.grassrootsCommittee?.organizationId, 'grassroots-committee', r.actorUserId, vote!.heldOn as string);
      return [{ form: '8-KNĐ', key: '', data: { ...l.base, ...common, vote }, numbering: resolution(l.org, vote!.heldOn as string) }];
    }
    case 'decision': {
      if (d.decided !== 'admit') return [];
      const l = await letter(db, chain.competent.organizationId, chain.competent.delegated ? 'grassroots-committee' : 'standing-committee', r.actorUserId, d.issuedOn as string);
      const committeeVote = past.last('committee-vote', 'passed');
      return [
        {
          form: '9-KNĐ',
          key: '',
          numberText: d.number as string,
          data: {
            ...l.base,
            ...common,
            admittedOn: d.issuedOn,
            recipients: [cell.name, 'Đảng viên có tên tại Điều 1'].filter(Boolean),
            cellResolution: { date: facts.cellResolutionOn ?? null },
            committeeResolution: committeeVote && chain.grassrootsCommittee
              ? { body: (await organization(db, chain.grassrootsCommittee.organizationId))?.name, date: committeeVote.heldOn }
              : null,
          },
        },
      ];
    }
    case 'recognition-review': {
      const helper = await person(db, past.helperPersonId());
      const self = await letter(db, null, 'cell', null, d.selfReviewOn as string);
      const l = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, d.helperAssessmentOn as string);
      const out: PlannedDocument[] = [
        {
          form: '10-KNĐ',
          key: '',
          data: { ...common, place: l.base.place, date: d.selfReviewOn, signer: { ...self.base.signer, onBehalf: '', title: 'NGƯỜI TỰ KIỂM ĐIỂM', name: candidate?.fullName ?? null } },
        },
        {
          form: '11-KNĐ',
          key: '',
          data: {
            ...common,
            place: l.base.place,
            date: d.helperAssessmentOn,
            helper: helper && { fullName: helper.fullName },
            signer: { onBehalf: '', title: 'ĐẢNG VIÊN GIÚP ĐỠ', name: helper?.fullName ?? null },
          },
        },
      ];
      if (Array.isArray(d.opinions)) {
        const o = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, d.opinionsOn as string);
        out.push({ form: '12-KNĐ', key: '', data: { ...o.base, ...common, opinions: d.opinions } });
      }
      return out;
    }
    case 'recognition-cell-vote': {
      if (!passed) return [];
      const l = await letter(db, chain.cell.organizationId, 'cell', r.actorUserId, vote!.heldOn as string);
      return [
        { form: '13-KNĐ', key: '', data: { ...l.base, ...common, vote, probationEndsOn: facts.probationEndsOn ?? null }, numbering: resolution(l.org, vote!.heldOn as string) },
      ];
    }
    case 'recognition-committee-vote': {
      if (!passed) return [];
      const l = await letter(db, chain.grassrootsCommittee?.organizationId, 'grassroots-committee', r.actorUserId, vote!.heldOn as string);
      return [{ form: '15-KNĐ', key: '', data: { ...l.base, ...common, vote }, numbering: resolution(l.org, vote!.heldOn as string) }];
    }
    case 'recognition-decision': {
      if (d.decided !== 'recognize') return [];
      const l = await letter(db, chain.competent.organizationId, chain.competent.delegated ? 'grassroots-committee' : 'standing-committee', r.actorUserId, d.issuedOn as string);
      return [
        {
          form: '16-KNĐ',
          key: '',
          numberText: d.number as string,
          data: {
            ...l.base,
            ...common,
            recipients: [cell.name, 'Đảng viên có tên tại Điều 1'].filter(Boolean),
            fullMemberOn: facts.probationEndsOn ?? null,
            recognitionResolution: { date: facts.recognitionResolutionOn ?? null },
          },
        },
      ];
    }
    default:
      return [];
  }
}

async function planEstablishment(db: Queryable, r: StepDocumentsRequest): Promise<PlannedDocument[]> {
  const d = r.data as Record<string, unknown> & { step: string };
  const { rows } = await db.query<{ organizationId: string; enterpriseId: string }>(
    'SELECT organization_id AS "organizationId", enterprise_id AS "enterpriseId" FROM cases WHERE id = $1',
    [r.caseId],
  );
  const c = rows[0];
  if (!c) return [];
  const ent = (await db.query<{ name: string; zone: string | null }>('SELECT name, zone FROM enterprises WHERE id = $1', [c.enterpriseId])).rows[0];
  const facts = r.facts as { members?: { official: number; probationary: number }; proposal?: { name: string; kind: string; leadership: string }; establishmentNumber?: string; appointmentNumber?: string };
  const proposal = (p: { name: string; leadership: string } | undefined, proposedOn?: unknown) =>
    p && { name: p.name, committee: p.leadership === 'committee', proposedOn: proposedOn ?? null };
  const common = { enterprise: ent ?? null, members: facts.members ?? null };

  switch (d.step) {
    case 'survey': {
      const l = await letter(db, c.organizationId, 'staff', r.actorUserId, d.surveyedOn as string);
      return [
        {
          form: 'survey-report',
          key: '',
          data: { ...l.base, ...common, survey: { ...d, ownerAttitude: ATTITUDE[d.ownerAttitude as string] ?? d.ownerAttitude } },
        },
      ];
    }
    case 'owner-consent': {
      if (d.outcome !== 'consented') return [];
      const { rows: meetings } = await db.query<{ heldOn: string; attendees: string }>(
        `SELECT to_char(held_on, 'YYYY-MM-DD') AS "heldOn", attendees FROM owner_meetings
          WHERE case_id = $1 AND outcome = 'consented' ORDER BY held_on DESC, id DESC LIMIT 1`,
        [r.caseId],
      );
      const m = meetings[0];
      const l = await letter(db, c.organizationId, 'staff', r.actorUserId, m?.heldOn ?? (d.consentOn as string));
      return [{ form: 'owner-meeting-minutes', key: '', data: { ...l.base, ...common, meeting: m && { ...m, outcome: 'đồng ý' } } }];
    }
    case 'proposal': {
      const l = await letter(db, c.organizationId, 'staff', r.actorUserId, d.proposedOn as string);
      return [{ form: 'to-trinh', key: '', data: { ...l.base, ...common, proposal: proposal({ name: d.name as string, leadership: d.leadership as string }, d.proposedOn) } }];
    }
    case 'decision': {
      const l = await letter(db, c.organizationId, 'standing-committee', r.actorUserId, d.issuedOn as string);
      const appointee = await person(db, d.appointeePersonId as string | undefined);
      // The Tờ trình's date: the proposal step's sign-off, kept with its document.
      // (Cases whose proposal was signed before step papers existed: the day the proposal was recorded.)
      const { rows: tt } = await db.query<{ on: string | null }>(
        `SELECT coalesce(
           (SELECT source #>> '{request,data,proposedOn}' FROM documents WHERE case_id = $1 AND form = 'to-trinh' ORDER BY created_at DESC LIMIT 1),
           (SELECT to_char(occurred_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') FROM case_events
             WHERE case_id = $1 AND kind = 'step-completed' AND step = 'proposal' ORDER BY seq DESC LIMIT 1)) AS on`,
        [r.caseId],
      );
      const proposedOn = tt[0]?.on ?? undefined;
      const p = proposal(facts.proposal, proposedOn);
      return [
        { form: 'establishment-decision', key: '', numberText: d.establishmentNumber as string, data: { ...l.base, ...common, proposal: p } },
        { form: 'appointment-decision', key: '', numberText: d.appointmentNumber as string, data: { ...l.base, ...common, proposal: p, appointee: appointee && { fullName: appointee.fullName } } },
      ];
    }
    case 'announcement': {
      const l = await letter(db, c.organizationId, 'standing-committee', r.actorUserId, d.heldOn as string);
      return [
        {
          form: 'announcement-minutes',
          key: '',
          data: {
            ...l.base,
            ...common,
            proposal: proposal(facts.proposal),
            announcement: { heldOn: d.heldOn },
            decision: { establishmentNumber: facts.establishmentNumber ?? null, appointmentNumber: facts.appointmentNumber ?? null },
          },
        },
      ];
    }
    default:
      return [];
  }
}
