/** /api/v1/people and /api/v1/enterprises. */
import { z } from 'zod';
import type { RecordService } from '../records.js';
import { principal, type RouteDef } from '../routing.js';
import { isoDate, line, parse, uuid } from '../validation.js';

const text = (max: number) => line(max).nullable();
const pastDate = isoDate({ min: '1900-01-01', max: 'today' }).nullable();
const email = z.email({ error: 'must be an email address' }).max(200, 'must be at most 200 characters').nullable();
const phone = z
  .string({ error: 'must be a string' })
  .max(30, 'must be at most 30 characters')
  .regex(/^\+?[0-9 .-]{6,}$/, 'must be a phone number of digits, spaces, dots or hyphens')
  .nullable();

const personFields = {
  fullName: line(200),
  dateOfBirth: isoDate({ min: '1900-01-01', max: 'today' }),
  organizationId: uuid,
  sex: z.enum(['male', 'female'], { error: 'must be male or female' }).nullable(),
  birthName: text(200),
  aliases: text(200),
  placeOfBirth: text(300),
  hometown: text(300),
  permanentResidence: text(300),
  temporaryResidence: text(300),
  ethnicity: text(100),
  religion: text(100),
  generalEducation: text(100),
  professionalQualification: text(300),
  politicalTheory: text(100),
  foreignLanguage: text(100),
  occupation: text(300),
  workplaceEnterpriseId: uuid.nullable(),
  youthUnionJoinedOn: pastDate,
  tradeUnionJoinedOn: pastDate,
  memberStatus: z.enum(['none', 'probationary', 'full', 'struck-off'], { error: 'must be none, probationary, full or struck-off' }),
  admittedOn: pastDate,
  fullMemberOn: pastDate,
  phone,
  email,
};
const PersonCreate = z.strictObject(personFields).partial().required({ fullName: true, dateOfBirth: true, organizationId: true });
const PersonPatch = z
  .strictObject(personFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', params: { rule: 'min' } });
const PeopleQuery = z.strictObject({
  organizationId: uuid.optional(),
  memberStatus: z.enum(['none', 'probationary', 'full', 'struck-off'], { error: 'must be none, probationary, full or struck-off' }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(100_000, 'must be at most 100000').default(0),
});

const enterpriseFields = {
  name: line(300),
  zone: text(200),
  investorCountry: z.string({ error: 'must be a string' }).regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as KR or JP').nullable(),
  workforce: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000').nullable(),
  address: text(500),
  taxCode: z.string({ error: 'must be a string' }).regex(/^[0-9-]{10,14}$/, 'must be a tax code of 10 digits (plus a branch suffix)').nullable(),
  contacts: z
    .array(
      z.strictObject({ name: line(200), role: line(200).optional(), phone: phone.optional(), email: email.optional() }),
      { error: 'must be a list of contacts' },
    )
    .max(20, 'must list at most 20 contacts'),
};
export const EnterpriseCreate = z.strictObject(enterpriseFields).partial().required({ name: true });
const EnterprisePatch = z
  .strictObject(enterpriseFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one field', params: { rule: 'min' } });
const EnterpriseQuery = z.strictObject({
  zone: line(200).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  offset: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative').max(100_000, 'must be at most 100000').default(0),
});
const IdParams = z.object({ id: uuid });
const peopleTags = ['People'];
const enterpriseTags = ['Enterprises'];

export function peopleRoutes(records: RecordService): RouteDef[] {
  const id = (params: unknown) => parse(IdParams, params, 'path').id;
  return [
    {
      method: 'get',
      path: '/',
      action: 'people.read',
      doc: { summary: "Candidates and members in the caller's scope", tags: peopleTags, query: PeopleQuery, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await records.listPeople(principal(req), parse(PeopleQuery, req.query, 'query')) }),
    },
    {
      method: 'get',
      path: '/:id',
      action: 'people.read',
      doc: { summary: 'One person', tags: peopleTags, params: IdParams },
      handler: async (req, res) => res.json(await records.getPerson(principal(req), id(req.params))),
    },
    {
      method: 'post',
      path: '/',
      action: 'people.write',
      doc: { summary: 'Add a person (fields of 1-KNĐ/2-KNĐ)', tags: peopleTags, body: PersonCreate, success: 201, responseDescription: 'The new person', errors: [422] },
      handler: async (req, res) => {
        const person = await records.createPerson(principal(req), parse(PersonCreate, req.body, 'body'));
        res.status(201).location(`/api/v1/people/${person.id}`).json(person);
      },
    },
    {
      method: 'patch',
      path: '/:id',
      action: 'people.write',
      doc: { summary: 'Change a person', tags: peopleTags, params: IdParams, body: PersonPatch, errors: [422] },
      handler: async (req, res) => {
        const personId = id(req.params);
        res.json(await records.updatePerson(principal(req), personId, parse(PersonPatch, req.body, 'body')));
      },
    },
  ];
}

export function enterpriseRoutes(records: RecordService): RouteDef[] {
  const id = (params: unknown) => parse(IdParams, params, 'path').id;
  return [
    {
      method: 'get',
      path: '/',
      action: 'enterprises.read',
      doc: { summary: 'Enterprises', tags: enterpriseTags, query: EnterpriseQuery, responseDescription: '`{ items }`' },
      handler: async (req, res) => res.json({ items: await records.listEnterprises(parse(EnterpriseQuery, req.query, 'query')) }),
    },
    {
      method: 'get',
      path: '/:id',
      action: 'enterprises.read',
      doc: { summary: 'One enterprise', tags: enterpriseTags, params: IdParams },
      handler: async (req, res) => res.json(await records.getEnterprise(id(req.params))),
    },
    {
      method: 'post',
      path: '/',
      action: 'enterprises.write',
      doc: { summary: 'Organizers and admins: add an enterprise', tags: enterpriseTags, body: EnterpriseCreate, success: 201, responseDescription: 'The new enterprise' },
      handler: async (req, res) => {
        const e = await records.createEnterprise(principal(req), parse(EnterpriseCreate, req.body, 'body'));
        res.status(201).location(`/api/v1/enterprises/${e.id}`).json(e);
      },
    },
    {
      method: 'patch',
      path: '/:id',
      action: 'enterprises.write',
      doc: { summary: 'Organizers and admins: change an enterprise', tags: enterpriseTags, params: IdParams, body: EnterprisePatch },
      handler: async (req, res) => {
        const enterpriseId = id(req.params);
        res.json(await records.updateEnterprise(principal(req), enterpriseId, parse(EnterprisePatch, req.body, 'body')));
      },
    },
  ];
}
