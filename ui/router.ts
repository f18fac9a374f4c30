/**
 * The staff web UI: server-rendered pages (Express + Handlebars) over the same services the JSON API uses,
 * so every rule, scope check and audit row is the API's. Forms post back here (with the session's CSRF
 * token and a one-time form id); the page answers with the result or the form again, each error next to
 * its field. htmx (served from node_modules) only enhances: every page works without script.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { engine } from 'express-handlebars';
import multer from 'multer';
import { z } from 'zod';
import { toHttpError, type AppDeps } from '../api/app.js';
import { authenticate, csrfProtection, generateCsrfToken, SESSION_COOKIE } from '../api/auth/middleware.js';
import { canManage, canSign, canWriteEnterprises, isAdmin, type Principal } from '../api/auth/policy.js';
import { HttpError, type FieldError } from '../api/http-errors.js';
import { CreateCaseBody, ESTABLISHMENT_BODIES, ListQuery, STEP_BODIES, stepData } from '../api/routes/cases.js';
import { EnterpriseCreate } from '../api/routes/records.js';
import { TargetBody } from '../api/routes/reports.js';
import { CreateUser } from '../api/routes/users.js';
import { YearBody } from '../api/routes/calendar.js';
import { LadderSchema } from '../activities/escalations.js';
import { withTransaction } from '../infra/db/pool.js';
import { appendAudit } from '../infra/db/queries/audit.js';
import { DEFAULT_LADDER } from '../workflows/escalation.js';
import { logIn, loginLimiter } from '../api/routes/auth.js';
import { isoDate, parse } from '../api/validation.js';
import { getOrganization } from '../infra/db/queries/organizations.js';
import { signerLink } from '../workflows/admission-rules.js';
import { vietnamDate } from '../workflows/calendar/work-calendar.js';
import { ADMISSION_STEPS, ESTABLISHMENT_STEP_IDS, type AdmissionStep, type CaseView, type EstablishmentStepData, type EstablishmentStepId } from '../workflows/definitions.js';
import { ESTABLISHMENT_STEP_CATALOG } from '../workflows/establishment-rules.js';
import { ORG_KIND_LABELS, type ApprovalChain } from '../workflows/org/tree.js';
import { STEP_META, votePasses } from '../workflows/steps.js';
import { ADMISSION_FORMS, ESTABLISHMENT_FORMS, fieldOfMessage, formToBody, VOTE_STEPS, type FormField } from './forms.js';
import { DEFAULT_LANG, formatDate, formatNumber, formatPercent, isLang, translator, type Lang } from './i18n.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const LANG_COOKIE = 'lang';
const STATIC_MAX_AGE = '1h';

type Ctx = Record<string, unknown>;
interface FormErrors {
  /** Errors by input name. */
  readonly fields: Record<string, string>;
  /** Errors that belong to no one input. */
  readonly general: string[];
}

/** Sets up the Handlebars view engine and mounts the UI's routes on the app (before the API's 404). */
export function mountUi(app: express.Express, deps: AppDeps, sessions: RequestHandler): void {
  app.engine(
    'hbs',
    engine({
      extname: '.hbs',
      defaultLayout: 'main',
      layoutsDir: path.join(here, 'views', 'layouts'),
      partialsDir: path.join(here, 'views', 'partials'),
      helpers: HELPERS,
    }),
  );
  app.set('view engine', 'hbs');
  app.set('views', path.join(here, 'views'));
  app.use('/static', express.static(path.join(here, 'static'), { maxAge: STATIC_MAX_AGE, index: false }));
  app.get('/static/vendor/htmx.min.js', (_req, res) => res.sendFile(path.join(here, '..', 'node_modules', 'htmx.org', 'dist', 'htmx.min.js'), { maxAge: STATIC_MAX_AGE }));
  app.use(uiRouter(deps, sessions));
}

// ---- rendering helpers ------------------------------------------------------------------------------------

const root = (options: { data: { root: Ctx } }) => options.data.root;
const langOf = (options: { data: { root: Ctx } }) => (root(options).lang as Lang) ?? DEFAULT_LANG;
type HelperOptions = { data: { root: Ctx }; hash: Record<string, unknown> };

const stepLabel = (type: string, step: string | null | undefined, lang: Lang): string => {
  if (!step) return '';
  if (type === 'cell-establishment') return ESTABLISHMENT_STEP_CATALOG.find((s) => s.id === step)?.label[lang] ?? step;
  return STEP_META[step as AdmissionStep]?.label[lang] ?? step;
};

const HELPERS = {
  t(key: string, options: HelperOptions) {
    return translator(langOf(options))(key, options.hash ?? {});
  },
  date: (iso: string | null | undefined, options: HelperOptions) => formatDate(iso, langOf(options)),
  percent: (v: number | null | undefined, options: HelperOptions) => formatPercent(v, langOf(options)),
  num: (v: number, options: HelperOptions) => formatNumber(v ?? 0, langOf(options)),
  stepLabel: (type: string, step: string, options: HelperOptions) => stepLabel(type, step, langOf(options)),
  eq: (a: unknown, b: unknown) => a === b,
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  not: (a: unknown) => !a,
  concat: (...args: unknown[]) => args.slice(0, -1).join(''),
  lookup2: (o: Record<string, unknown> | undefined, k: string) => o?.[k],
  array: (...args: unknown[]) => args.slice(0, -1),
  /** A fresh one-time id for each form on a page (see claimForm). */
  newFormId: () => randomUUID(),
};

function lang(req: Request): Lang {
  const cookie = /(?:^|;\s*)lang=(vi|en)\b/.exec(req.headers.cookie ?? '')?.[1];
  return isLang(cookie) ? cookie : DEFAULT_LANG;
}

function render(req: Request, res: Response, view: string, data: Ctx, status = 200): void {
  const l = lang(req);
  const p = req.principal;
  const flash = req.session?.flash;
  if (flash) delete req.session.flash;
  res.status(status).render(view, {
    ...data,
    lang: l,
    otherLang: l === 'vi' ? 'en' : 'vi',
    here: encodeURIComponent(withoutName(req.method === 'GET' ? req.originalUrl : req.path)),
    csrf: req.session ? generateCsrfToken(req) : '',
    flash,
    user: p && {
      displayName: p.displayName,
      isAdmin: isAdmin(p),
      isOrganizer: p.roles.some((r) => r.role === 'organizer'),
      isApprover: p.roles.some((r) => r.role === 'approver'),
      canWriteEnterprises: canWriteEnterprises(p),
    },
  });
}

/** An error the services threw, as the messages of a form: each field's next to its input, in the page's language. */
function formErrors(err: HttpError, fields: readonly FormField[], l: Lang): FormErrors {
  const t = translator(l);
  const out: Record<string, string> = {};
  const general: string[] = [];
  const list: readonly FieldError[] = err.fields?.length ? err.fields : [{ field: '', rule: err.code, message: err.message }];
  for (const f of list) {
    const text = translateMessage(f, l);
    const input = fieldOfMessage(fields, f.field || undefined, f.message) ?? (f.field ? fieldOfMessage(fields, undefined, f.field) : undefined);
    if (input && !out[input]) out[input] = text;
    else general.push(f.field && !input ? `${t(`fields.${f.field}`, { defaultValue: f.field })}: ${text}` : text);
  }
  return { fields: out, general };
}

/** The message for a broken rule in the page's language: known rules and phrasings have a translation. */
function translateMessage(f: FieldError, l: Lang): string {
  const t = translator(l);
  const m = f.message;
  const patterns: Array<[RegExp, string]> = [
    [/^is required$/, 'errors.required'],
    [/^must not be empty$/, 'errors.required'],
    [/^must not be in the future$/, 'errors.future'],
    [/^must be on or after (\S+)$/, 'errors.minDate'],
    [/^must be a date/, 'errors.date'],
    [/^is not a real calendar date$/, 'errors.date'],
    [/^must be a whole number$/, 'errors.integer'],
    [/^must be a number/, 'errors.number'],
    [/^must not be negative$/, 'errors.negative'],
    [/^must be at least (\d+)/, 'errors.min'],
    [/^must be at most (\d+) characters$/, 'errors.maxLength'],
    [/^must be at most (\d+)$/, 'errors.max'],
    [/^must be a UUID/, 'errors.choose'],
    [/^does not name an existing/, 'errors.exists'],
    [/already used/, 'errors.unique'],
    [/^must look like|must look like 12-QĐ/, 'errors.decisionNumber'],
    [/vote\.present \((\d+)\) cannot exceed vote\.eligible \((\d+)\)/, 'errors.presentOverEligible'],
    [/vote\.for \+ vote\.against \((\d+)\) cannot exceed vote\.present \((\d+)\)/, 'errors.votesOverPresent'],
    [/is not an official member/, 'errors.introducerNotOfficial'],
    [/has worked with the candidate (\d+) months/, 'errors.coWorking'],
    [/a new vote must be held after the failed vote of (\S+)/, 'errors.revoteDate'],
    [/needs two official members/, 'errors.introducersNeeded'],
    [/must be (.+)$/, 'errors.oneOf'],
  ];
  for (const [re, key] of patterns) {
    const match = re.exec(m);
    if (match) {
      const a = match[1] && /^\d{4}-\d{2}-\d{2}$/.test(match[1]) ? formatDate(match[1], l) : match[1];
      return t(key, { a, b: match[2], en: m });
    }
  }
  // Messages the UI wrote itself are in the page's language already.
  if (f.rule === 'two_thirds') return m;
  if (f.rule === 'wrong_step' || f.rule === 'case_closed') return t('errors.wrongStep', { en: m });
  if (f.rule === 'forbidden') return t('errors.forbidden');
  return l === 'vi' ? t('errors.rule', { en: m }) : m;
}

// ---- small data helpers ------------------------------------------------------------------------------------

async function namesById(deps: AppDeps, table: 'organizations' | 'enterprises' | 'users', ids: ReadonlyArray<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => typeof x === 'string'))];
  if (!wanted.length) return new Map();
  const col = table === 'users' ? 'display_name' : 'name';
  const { rows } = await deps.pool.query<{ id: string; name: string }>(`SELECT id, ${col} AS name FROM ${table} WHERE id = ANY($1::uuid[])`, [wanted]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORM_IDS_KEPT_DAYS = 30;

/**
 * Every form carries a one-time id: the first submission claims it; a second one (a double click, a resent
 * POST) finds it taken — `done` once the first was carried out, `running` while it runs or when its outcome
 * is unknown (a server error after the change may have gone through). A refused submission releases it.
 */
async function claimForm(deps: AppDeps, formId: unknown, userId: string, caseId: string | null): Promise<'claimed' | 'done' | 'running' | 'none'> {
  if (typeof formId !== 'string' || !UUID.test(formId)) return 'none';
  // Old ids are of no further use; one claim in a hundred sweeps them (indexed by age).
  if (Math.random() < 0.01) await deps.pool.query(`DELETE FROM ui_form_submissions WHERE submitted_at < now() - make_interval(days => $1)`, [FORM_IDS_KEPT_DAYS]);
  const { rows } = await deps.pool.query<{ claimed: boolean; done: boolean }>(
    `WITH ins AS (INSERT INTO ui_form_submissions (form_id, user_id, case_id) VALUES ($1, $2, $3) ON CONFLICT (form_id) DO NOTHING RETURNING true AS claimed)
     SELECT coalesce((SELECT claimed FROM ins), false) AS claimed, coalesce((SELECT done FROM ui_form_submissions WHERE form_id = $1), false) AS done`,
    [formId, userId, caseId],
  );
  const r = rows[0]!;
  return r.claimed ? 'claimed' : r.done ? 'done' : 'running';
}
const formDone = (deps: AppDeps, formId: unknown) =>
  typeof formId === 'string' && UUID.test(formId) ? deps.pool.query('UPDATE ui_form_submissions SET done = true WHERE form_id = $1', [formId]).then(() => undefined) : Promise.resolve();
/** A refused submission (4xx: nothing changed) frees its id so the corrected form can be sent. */
const releaseForm = (deps: AppDeps, formId: unknown, err: unknown) =>
  typeof formId === 'string' && UUID.test(formId) && err instanceof HttpError && err.status < 500
    ? deps.pool.query('DELETE FROM ui_form_submissions WHERE form_id = $1', [formId]).then(() => undefined)
    : Promise.resolve();
/**
 * Claims the form's one-time id; a form seen before is answered here (a message saying whether it was carried
 * out or still runs, and a redirect) and the caller stops: true.
 */
async function answeredBefore(deps: AppDeps, req: Request, res: Response, caseId: string | null, redirectTo: string): Promise<boolean> {
  const claim = await claimForm(deps, (req.body as Record<string, unknown>).formId, req.principal!.userId, caseId);
  if (claim !== 'done' && claim !== 'running') return false;
  req.session.flash = { kind: 'ok', text: translator(lang(req))(claim === 'done' ? 'flash.alreadySent' : 'flash.stillRunning') };
  res.redirect(303, redirectTo);
  return true;
}

/** Query-string and form values with the empty ones left out (an empty filter means "any"). */
const filled = (o: Record<string, unknown>, skip: readonly string[] = []) =>
  Object.fromEntries(Object.entries(o).filter(([k, v]) => !skip.includes(k) && typeof v === 'string' && v.trim() !== ''));

/** A page's own URL without a searched-for name (`q`), for links and redirects built from it. */
const withoutName = (url: string): string => {
  const u = new URL(url, 'http://x');
  u.searchParams.delete('q');
  return `${u.pathname}${u.search}`;
};

const localPath = (v: unknown): string => (typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') && !v.startsWith('/\\') ? v : '/');

const asyncRoute =
  (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** The pages answer a visitor without a session with the login page (and come back after). */
const requireUser: RequestHandler = (req, res, next) => {
  if (req.principal) return next();
  if (req.method === 'GET') return res.redirect(303, `/login?next=${encodeURIComponent(localPath(withoutName(req.originalUrl)))}`);
  res.redirect(303, '/login');
};

const me = (req: Request): Principal => req.principal!;

// ---- the router --------------------------------------------------------------------------------------------

export function uiRouter(deps: AppDeps, sessions: RequestHandler): Router {
  const r = Router();
  const { cases, reports, organizations, records, documents, users, imports } = deps;
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 5 * 1024 * 1024, fieldSize: 6 * 1024 * 1024, files: 1 } });
  const urlencoded = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 });
  // Pages share the API's session (the cookie, the store, the user) and its authentication.
  const pages = [sessions, authenticate(deps.pool)];

  r.get('/lang/:lang', (req, res) => {
    const to = isLang(req.params.lang) ? req.params.lang : DEFAULT_LANG;
    res.cookie(LANG_COOKIE, to, { sameSite: 'lax', httpOnly: true, maxAge: 365 * 86_400_000 });
    res.redirect(303, localPath(req.query.back));
  });

  // ---- login / logout
  r.get('/login', ...pages, (req, res) => {
    if (req.principal) return res.redirect(303, localPath(req.query.next));
    // The form's CSRF token lives in a session started for it (it is replaced at login: no fixation).
    render(req, res, 'login', { next: localPath(req.query.next), bare: true, title: 'login.title' });
  });
  r.post('/login', loginLimiter({ failedOnly: true }), ...pages, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const username = String(req.body.username ?? '');
    const password = String(req.body.password ?? '');
    const next = localPath(req.body.next);
    if (!username.trim() || !password) {
      return render(req, res, 'login', { next, username, bare: true, errors: { fields: { ...(username.trim() ? {} : { username: translator(lang(req))('errors.required') }), ...(password ? {} : { password: translator(lang(req))('errors.required') }) }, general: [] } }, 400);
    }
    try {
      await logIn(deps.pool, req, { username, password: password.slice(0, 200) });
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) {
        return render(req, res, 'login', { next, username, bare: true, errors: { fields: {}, general: [translator(lang(req))('login.wrong')] } }, 401);
      }
      throw err;
    }
    res.redirect(303, next);
  }));
  r.post('/logout', ...pages, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.clearCookie(SESSION_COOKIE);
    res.redirect(303, '/login');
  }));

  // Everything below needs a user.
  const gate = [...pages, requireUser];
  const adminOnly: RequestHandler = (req, _res, next) => (isAdmin(me(req)) ? next() : next(new HttpError(403, 'forbidden', 'admin only')));
  const organizerOrAdmin: RequestHandler = (req, _res, next) => (canWriteEnterprises(me(req)) ? next() : next(new HttpError(403, 'forbidden', 'organizers and admins only')));

  // ---- my work
  r.get('/', ...gate, asyncRoute(async (req, res) => {
    const items = await myWork(deps, me(req));
    const [orgs, ents] = await Promise.all([namesById(deps, 'organizations', items.map((i) => i.organizationId)), namesById(deps, 'enterprises', items.map((i) => i.enterpriseId))]);
    render(req, res, 'my-work', {
      title: 'nav.myWork',
      nav: 'work',
      items: items.map((i) => ({ ...i, organizationName: orgs.get(i.organizationId), subject: i.personName ?? ents.get(i.enterpriseId ?? '') ?? '' })),
    });
  }));

  // ---- dashboard
  r.get('/dashboard', ...gate, asyncRoute(async (req, res) => {
    const p = me(req);
    const orgList = await organizations.list(p);
    const today = vietnamDate(Date.now());
    const Query = z.strictObject({
      organizationId: z.uuid({ error: 'must be a UUID' }).optional(),
      year: z.coerce.number().int().min(2000).max(2100).default(Number(today.slice(0, 4))),
      asOf: isoDate({ min: '2000-01-01' }).optional(),
    });
    const q = parse(Query, filled(req.query as Record<string, unknown>), 'query');
    const rootOrg = q.organizationId ?? orgList.find((o) => !orgList.some((x) => x.id === o.parentId))?.id;
    if (!rootOrg) return render(req, res, 'dashboard', { title: 'nav.dashboard', nav: 'dashboard', empty: true });
    const asOf = q.asOf ?? (`${q.year}-12-31` < today ? `${q.year}-12-31` : today);
    const report = await reports.progress(p, { organizationId: rootOrg, period: { year: q.year, period: 'year' }, asOf });
    const [monthly, overdueList] = await Promise.all([
      reports.monthly(p, { organizationId: rootOrg, year: q.year, kind: report.countedOn.admissions, asOf }),
      cases.list(p, { organizationId: rootOrg, overdue: true, status: 'open', sort: 'dueOn', limit: 10 }),
    ]);
    const l = lang(req);
    const funnel = ADMISSION_STEPS.map((s) => ({ step: s, label: stepLabel('admission', s, l), n: report.pipeline.admission?.[s] ?? 0 })).filter((s) => s.n > 0 || STEP_META[s.step].kind !== 'wait');
    const maxFunnel = Math.max(1, ...funnel.map((f) => f.n));
    const estFunnel = ESTABLISHMENT_STEP_IDS.map((s) => ({ step: s, label: stepLabel('cell-establishment', s, l), n: report.pipeline['cell-establishment']?.[s] ?? 0 }));
    render(req, res, 'dashboard', {
      title: 'nav.dashboard',
      nav: 'dashboard',
      report,
      year: q.year,
      asOf,
      organizations: orgList.map((o) => ({ id: o.id, name: o.name, selected: o.id === rootOrg })),
      bars: [progressBar('admissions', report.admissions), progressBar('organizations', report.organizations)],
      funnel: funnel.map((f) => ({ ...f, width: Math.round((100 * f.n) / maxFunnel) })),
      estFunnel,
      overdueTotal: Object.values(report.overdue).reduce((a, b) => a + b, 0),
      overdueList: overdueList.items,
      chart: monthlyChart(monthly, report.admissions.target, q.year, asOf, l),
      children: report.children,
    });
  }));

  // ---- case list
  const listPage = asyncRoute(async (req, res) => {
    const p = me(req);
    const source = req.method === 'POST' ? (req.body as Record<string, unknown>) : (req.query as Record<string, unknown>);
    // A name searched for comes by POST only: never in a URL (and so never in a log or a bookmark).
    const raw = filled(source, req.method === 'POST' ? ['_csrf'] : ['_csrf', 'q']);
    const orgList = await organizations.list(p);
    const base = { title: 'nav.cases', nav: 'cases', filters: raw, organizations: orgList, steps: [...ADMISSION_STEPS.map((s) => ({ id: s, type: 'admission' })), ...ESTABLISHMENT_STEP_IDS.filter((s) => !(ADMISSION_STEPS as readonly string[]).includes(s)).map((s) => ({ id: s, type: 'cell-establishment' }))] };
    let query;
    try {
      query = parse(ListQuery, raw, 'query');
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return render(req, res, 'cases', { ...base, errors: formErrors(err, LIST_FIELDS, lang(req)), items: [] }, 400);
    }
    const { q: text, ...rest } = query;
    const page = await cases.list(p, { ...rest, text });
    const [orgs, ents] = await Promise.all([namesById(deps, 'organizations', page.items.map((i) => i.organizationId)), namesById(deps, 'enterprises', page.items.map((i) => i.enterpriseId))]);
    // A saved link holds the filters but never the name searched for (no personal data in URLs).
    const linkParams = new URLSearchParams(filled(raw, ['q', 'after']) as Record<string, string>).toString();
    render(req, res, 'cases', {
      ...base,
      items: page.items.map((i) => ({ ...i, organizationName: orgs.get(i.organizationId), subject: i.personName ?? ents.get(i.enterpriseId ?? '') ?? '' })),
      nextCursor: page.nextCursor,
      searching: Boolean(text),
      savedLink: `/cases${linkParams ? `?${linkParams}` : ''}`,
      nextLink: page.nextCursor && !text ? `/cases?${new URLSearchParams({ ...(filled(raw, ['after']) as Record<string, string>), after: page.nextCursor })}` : null,
    });
  });
  r.get('/cases', ...gate, listPage);
  r.post('/cases', ...gate, urlencoded, csrfProtection, listPage);

  // ---- new case
  const newCaseForm = async (req: Request, res: Response, extra: Ctx = {}, status = 200) => {
    const p = me(req);
    const orgList = (await organizations.list(p)).filter((o) => canManage(p, o.path));
    const enterprises = await records.listEnterprises({ limit: 500, offset: 0 });
    render(req, res, 'case-new', {
      title: 'newCase.title',
      nav: 'new',
      formId: randomUUID(),
      cells: orgList.filter((o) => o.kind === 'cell' || o.kind === 'grassroots-cell' || o.kind === 'grassroots-committee'),
      uppers: orgList.filter((o) => o.kind === 'upper-committee'),
      enterprises,
      type: 'admission',
      values: {},
      ...extra,
    }, status);
  };
  r.get('/cases/new', ...gate, asyncRoute((req, res) => newCaseForm(req, res, { type: req.query.type === 'cell-establishment' ? 'cell-establishment' : 'admission' })));
  r.post('/cases/new', ...gate, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const p = me(req);
    const b = req.body as Record<string, string>;
    const type = b.type === 'cell-establishment' ? 'cell-establishment' : 'admission';
    const body =
      type === 'admission'
        ? { type, organizationId: b.organizationId || undefined, person: { fullName: b['person.fullName'] ?? '', dateOfBirth: b['person.dateOfBirth'] || undefined } }
        : { type, organizationId: b.upperId || undefined, enterpriseId: b.enterpriseId || undefined };
    if (await answeredBefore(deps, req, res, null, '/cases')) return;
    try {
      const parsed = parse(CreateCaseBody, body, 'body');
      const snap =
        parsed.type === 'admission'
          ? await cases.openAdmission(p, { organizationId: parsed.organizationId, person: parsed.person })
          : await cases.openEstablishment(p, { organizationId: parsed.organizationId, enterpriseId: parsed.enterpriseId });
      await formDone(deps, b.formId);
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.caseOpened') };
      res.redirect(303, `/cases/${snap.caseId}`);
    } catch (err) {
      await releaseForm(deps, b.formId, err);
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      const errors = formErrors(err, NEW_CASE_FIELDS, lang(req));
      // The establishment form names the upper committee `upperId`.
      const fields = type === 'admission' ? errors.fields : Object.fromEntries(Object.entries(errors.fields).map(([k, v]) => [k === 'organizationId' ? 'upperId' : k, v]));
      await newCaseForm(req, res, { type, values: b, errors: { fields, general: errors.general } }, err.status);
    }
  }));

  // ---- case page
  const casePage = async (req: Request, res: Response, caseId: string, extra: Ctx = {}, status = 200) => {
    const p = me(req);
    const detail = await cases.get(p, caseId);
    const [live, docs, comments, org] = await Promise.all([
      cases.status(p, caseId).catch(() => null),
      documents.list(p, caseId),
      cases.comments(p, caseId),
      getOrganization(deps.pool, detail.organizationId),
    ]);
    const l = lang(req);
    const steps = (live?.steps ?? []) as ReadonlyArray<{ step: string; enteredOn: string; dueOn: string | null; completedOn?: string; completedBy?: string | null; outcome?: string }>;
    const signers = await namesById(deps, 'users', steps.map((s) => s.completedBy));
    const enterprise = detail.enterpriseId ? await records.getEnterprise(detail.enterpriseId).catch(() => null) : null;
    const staff = org ? canManage(p, org.path) : false;
    const open = live && live.status === 'open' && live.step && !live.onHold;
    const formSpec = open ? signOffForm(p, detail.type, live!, staff) : null;
    const needsMembers = formSpec?.fields.some((f) => f.kind === 'member');
    const members = needsMembers
      ? await records.listPeople(p, { organizationId: detail.type === 'admission' ? detail.organizationId : undefined, memberStatus: 'full', limit: 300, offset: 0 })
      : [];
    const orgList = staff && detail.status === 'open' ? await organizations.list(p) : [];
    const today = vietnamDate(Date.now());
    const values: Record<string, string> = (extra.values as Record<string, string>) ?? {};
    render(req, res, 'case', {
      title: 'case.title',
      nav: 'cases',
      c: detail,
      subject: detail.person?.fullName ?? (enterprise?.name as string | undefined) ?? '',
      organizationName: org?.name,
      live,
      onHold: live?.onHold ?? null,
      staff,
      timeline: steps.map((s) => ({ ...s, label: stepLabel(detail.type, s.step, l), signer: s.completedBy ? signers.get(s.completedBy) : null, late: !s.completedOn && s.dueOn !== null && s.dueOn < today })),
      documents: docs,
      comments,
      form: formSpec && {
        step: live!.step,
        label: stepLabel(detail.type, live!.step, l),
        vote: VOTE_STEPS.has(live!.step!),
        signerNote: formSpec.note,
        fields: formSpec.fields.map((f) => ({
          ...f,
          id: `f-${f.name.replace(/\./g, '-')}`,
          value: values[f.name] ?? (f.defaultToday ? today : (f.defaultValue ?? '')),
          checked: values[f.name] === 'on',
          options: f.options?.map((o) => ({ value: o, selected: (values[f.name] ?? '') === o })),
          members: f.kind === 'member' ? members.map((m) => ({ id: m.id, name: m.fullName as string, selected: values[f.name] === m.id })) : undefined,
          error: (extra.errors as FormErrors | undefined)?.fields[f.name],
        })),
        confirmFailed: values.confirmFailed === 'on',
        formId: randomUUID(),
        canSign: formSpec.allowed,
      },
      cells: orgList.filter((o) => (o.kind === 'cell' || o.kind === 'grassroots-cell') && o.id !== detail.organizationId),
      actionFormId: randomUUID(),
      today,
      ...extra,
    }, status);
  };

  const caseId = (req: Request): string => {
    const id = String(req.params.id ?? '');
    if (!UUID.test(id)) throw new HttpError(404, 'not_found', 'The case was not found');
    return id;
  };

  r.get('/cases/:id', ...gate, asyncRoute(async (req, res) => casePage(req, res, caseId(req))));

  r.post('/cases/:id/steps/:step', ...gate, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const p = me(req);
    const id = caseId(req);
    const form = req.body as Record<string, string>;
    if (await answeredBefore(deps, req, res, id, `/cases/${id}`)) return;
    const step = String(req.params.step);
    let type: string;
    let fields: readonly FormField[] | undefined;
    try {
      type = await cases.caseType(p, id);
      const forms: Readonly<Record<string, readonly FormField[]>> = type === 'admission' ? ADMISSION_FORMS : ESTABLISHMENT_FORMS;
      fields = Object.hasOwn(forms, step) ? forms[step] : undefined;
      if (!fields) throw new HttpError(404, 'not_found', `No step ${step} in a ${type} case`);
      let body = formToBody(fields, form);
      if (type === 'admission') {
        const s = step as AdmissionStep;
        const vote = body.vote as { eligible?: unknown; for?: unknown } | undefined;
        // The 2/3 rule, checked before anything is sent: a failing count is recorded only when confirmed.
        if (VOTE_STEPS.has(s) && vote && typeof vote.eligible === 'number' && typeof vote.for === 'number' && vote.eligible > 0 && !votePasses({ eligible: vote.eligible, for: vote.for }) && form.confirmFailed !== 'on') {
          const need = Math.ceil((2 * vote.eligible) / 3);
          throw new HttpError(422, 'vote_below_threshold', `vote.for: ${vote.for} of ${vote.eligible} is below two thirds (${need} needed)`, [
            { field: 'vote.for', rule: 'two_thirds', message: translator(lang(req))('vote.belowThreshold', { for: vote.for, eligible: vote.eligible, need }) },
          ]);
        }
        const parsed = parse(STEP_BODIES[s] as z.ZodType<Record<string, unknown>>, body, 'body');
        await cases.sign(p, id, stepData(s, parsed));
      } else {
        const s = step as EstablishmentStepId;
        if (s === 'owner-consent') body = pick(body, body.outcome === 'declined' ? ['outcome', 'declinedOn', 'revisitOn'] : ['outcome', 'consentOn', 'document']);
        const parsed = parse(ESTABLISHMENT_BODIES[s] as z.ZodType<Record<string, unknown>>, body, 'body');
        await cases.signEstablishment(p, id, { step: s, ...parsed } as EstablishmentStepData);
      }
      await formDone(deps, form.formId);
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.signed', { step: stepLabel(type, step, lang(req)) }) };
      res.redirect(303, `/cases/${id}`);
    } catch (err) {
      await releaseForm(deps, form.formId, err);
      if (!(err instanceof HttpError) || err.status >= 500 || err.status === 404) throw err;
      await casePage(req, res, id, { values: form, errors: formErrors(err, fields ?? [], lang(req)) }, err.status);
    }
  }));

  /** The case page's other forms: one action each, the same one-time form id, errors shown at the top. */
  const caseAction = (name: string, run: (p: Principal, id: string, body: Record<string, string>) => Promise<unknown>, flashKey: string) =>
    r.post(`/cases/:id/${name}`, ...gate, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
      const p = me(req);
      const id = caseId(req);
      const form = req.body as Record<string, string>;
      if (await answeredBefore(deps, req, res, id, `/cases/${id}`)) return;
      try {
        await run(p, id, form);
        await formDone(deps, form.formId);
        req.session.flash = { kind: 'ok', text: translator(lang(req))(flashKey) };
        res.redirect(303, `/cases/${id}${name === 'comments' ? '#comments' : ''}`);
      } catch (err) {
        await releaseForm(deps, form.formId, err);
        if (!(err instanceof HttpError) || err.status >= 500 || err.status === 404) throw err;
        await casePage(req, res, id, { actionErrors: formErrors(err, [{ name: 'reason', kind: 'text' }, { name: 'body', kind: 'text' }, { name: 'organizationId', kind: 'select' }], lang(req)), actionValues: form }, err.status);
      }
    }));
  const text = (field: string, max: number) => (v: unknown) => parse(z.strictObject({ [field]: z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`) }), { [field]: v ?? '' }, 'body')[field]!;
  caseAction('comments', (p, id, b) => cases.addComment(p, id, text('body', 4000)(b.body)), 'flash.commented');
  caseAction('hold', (p, id, b) => cases.hold(p, id, text('reason', 500)(b.reason)), 'flash.held');
  caseAction('resume', (p, id) => cases.resume(p, id), 'flash.resumed');
  caseAction('withdraw', (p, id, b) => cases.withdraw(p, id, text('reason', 500)(b.reason)), 'flash.withdrawn');
  caseAction('transfer', (p, id, b) => cases.transfer(p, id, parse(z.strictObject({ organizationId: z.uuid({ error: 'must be a UUID' }) }), { organizationId: b.organizationId ?? '' }, 'body').organizationId), 'flash.transferred');
  caseAction('render', async (p, id, b) => {
    const doc = (await documents.list(p, id)).find((d) => d.id === b.documentId);
    if (!doc) throw new HttpError(404, 'not_found', 'The document was not found');
    return documents.rerender(p, doc.id);
  }, 'flash.rerendered');

  // ---- CSV import: the dry run first, then the job with its progress
  r.get('/imports', ...gate, (req, res) => render(req, res, 'imports', { title: 'nav.import', nav: 'import', kind: 'candidates' }));
  r.post('/imports', ...gate, upload.single('file'), csrfProtection, asyncRoute(async (req, res) => {
    const p = me(req);
    const kind = req.body.kind === 'enterprises' ? 'enterprises' : 'candidates';
    const csv = req.file ? req.file.buffer.toString('utf8') : String(req.body.csv ?? '');
    if (!csv.trim()) return render(req, res, 'imports', { title: 'nav.import', nav: 'import', kind, errors: { fields: { file: translator(lang(req))('errors.required') }, general: [] } }, 400);
    if (req.body.confirm === 'yes') {
      const job = await imports.start(p, kind, csv);
      return res.redirect(303, `/imports/${job.id}`);
    }
    const report = await imports.check(p, kind, csv);
    render(req, res, 'imports', { title: 'nav.import', nav: 'import', kind, report, csv });
  }));
  r.get('/imports/:id', ...gate, asyncRoute(async (req, res) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw new HttpError(404, 'not_found', 'The import was not found');
    const job = await imports.job(me(req), id);
    const progress = job.total ? Math.round((100 * job.done) / job.total) : 100;
    const view = req.headers['hx-request'] ? 'partials/import-progress' : 'import-job';
    render(req, res, view, { title: 'nav.import', nav: 'import', job, progress, running: job.status === 'running', ...(req.headers['hx-request'] ? { layout: false } : {}) });
  }));

  // ---- enterprises and the establishment board
  r.get('/enterprises', ...gate, asyncRoute(async (req, res) => enterprisesPage(req, res)));
  const enterprisesPage = async (req: Request, res: Response, extra: Ctx = {}, status = 200) => {
    const p = me(req);
    const [list, open] = await Promise.all([records.listEnterprises({ limit: 500, offset: 0 }), cases.list(p, { type: 'cell-establishment', status: 'open', sort: 'dueOn', limit: 200 })]);
    const names = new Map(list.map((e) => [e.id, e.name as string]));
    const l = lang(req);
    const today = vietnamDate(Date.now());
    render(req, res, 'enterprises', {
      title: 'nav.enterprises',
      nav: 'enterprises',
      enterprises: list,
      board: ESTABLISHMENT_STEP_IDS.map((s) => ({
        step: s,
        label: stepLabel('cell-establishment', s, l),
        cards: open.items.filter((c) => c.currentStep === s).map((c) => ({ ...c, name: names.get(c.enterpriseId ?? '') ?? '', late: c.currentStepDueOn !== null && c.currentStepDueOn < today })),
      })),
      formId: randomUUID(),
      values: {},
      ...extra,
    }, status);
  };
  r.post('/enterprises', ...gate, organizerOrAdmin, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const p = me(req);
    const b = req.body as Record<string, string>;
    if (await answeredBefore(deps, req, res, null, '/enterprises')) return;
    const fields: FormField[] = ['name', 'taxCode', 'zone', 'investorCountry', 'workforce', 'address'].map((name) => ({ name, kind: name === 'workforce' ? 'number' : 'text', optional: name !== 'name' }));
    try {
      const created = await records.createEnterprise(p, parse(EnterpriseCreate, formToBody(fields, b), 'body'));
      await formDone(deps, b.formId);
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.enterpriseCreated', { name: created.name as string }) };
      res.redirect(303, '/enterprises');
    } catch (err) {
      await releaseForm(deps, b.formId, err);
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      await enterprisesPage(req, res, { values: b, errors: formErrors(err, fields, lang(req)) }, err.status);
    }
  }));

  // ---- org tree
  r.get('/organizations', ...gate, asyncRoute(async (req, res) => {
    const list = await organizations.list(me(req));
    const l = lang(req);
    type Node = (typeof list)[number] & { kindLabel: string; children: Node[] };
    const nodes = new Map<string, Node>(list.map((o) => [o.id, { ...o, kindLabel: ORG_KIND_LABELS[o.kind as keyof typeof ORG_KIND_LABELS]?.[l] ?? o.kind, children: [] }]));
    const roots: Node[] = [];
    for (const n of nodes.values()) {
      const parent = n.parentId ? nodes.get(n.parentId) : undefined;
      (parent ? parent.children : roots).push(n);
    }
    render(req, res, 'organizations', { title: 'nav.organizations', nav: 'organizations', roots });
  }));

  // ---- admin: users, targets, calendar, step deadlines, outbox

  const usersPage = async (req: Request, res: Response, extra: Ctx = {}, status = 200) => {
    const [list, orgList] = await Promise.all([users.list(), organizations.list(me(req))]);
    render(req, res, 'admin-users', { title: 'admin.users', nav: 'admin', users: list, organizations: orgList, values: {}, ...extra }, status);
  };
  r.get('/admin/users', ...gate, adminOnly, asyncRoute((req, res) => usersPage(req, res)));
  r.post('/admin/users', ...gate, adminOnly, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const b = req.body as Record<string, string>;
    const role = b.role || undefined;
    const body = {
      username: b.username ?? '',
      displayName: b.displayName ?? '',
      ...(b.email ? { email: b.email } : {}),
      password: b.password ?? '',
      roles: role ? [{ role, organizationId: b.organizationId || null, body: role === 'approver' ? b.body || null : null }] : [],
    };
    const fields: FormField[] = ['username', 'displayName', 'email', 'password', 'roles.0.role', 'roles.0.organizationId', 'roles.0.body'].map((name) => ({ name, kind: 'text' }));
    try {
      await users.create(me(req), parse(CreateUser, body, 'body'));
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.userCreated') };
      res.redirect(303, '/admin/users');
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      const errors = formErrors(err, fields, lang(req));
      const byInput = Object.fromEntries(Object.entries(errors.fields).map(([k, v]) => [k.replace(/^roles\.0\./, ''), v]));
      await usersPage(req, res, { values: { ...b, password: '' }, errors: { fields: byInput, general: errors.general } }, err.status);
    }
  }));

  const targetsPage = async (req: Request, res: Response, extra: Ctx = {}, status = 200) => {
    const p = me(req);
    const year = Number(/^\d{4}$/.test(String(req.query.year ?? extra.year ?? '')) ? (req.query.year ?? extra.year) : vietnamDate(Date.now()).slice(0, 4));
    const [list, orgList] = await Promise.all([reports.listTargets(p, { year }), organizations.list(p)]);
    const names = new Map(orgList.map((o) => [o.id, o.name]));
    render(req, res, 'admin-targets', { title: 'admin.targets', nav: 'admin', year, targets: list.map((t) => ({ ...t, organizationName: names.get(t.organizationId) })), organizations: orgList.filter((o) => canManage(p, o.path)), values: { year: String(year) }, ...extra }, status);
  };
  r.get('/admin/targets', ...gate, organizerOrAdmin, asyncRoute((req, res) => targetsPage(req, res)));
  r.post('/admin/targets', ...gate, organizerOrAdmin, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const b = req.body as Record<string, string>;
    const fields: FormField[] = [
      { name: 'organizationId', kind: 'text' },
      { name: 'year', kind: 'number' },
      { name: 'kind', kind: 'text' },
      { name: 'mode', kind: 'text' },
      { name: 'value', kind: 'number' },
      { name: 'baseMembers', kind: 'number', optional: true },
    ];
    try {
      const t = await reports.setTarget(me(req), parse(TargetBody, formToBody(fields, b), 'body'));
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.targetSet') };
      res.redirect(303, `/admin/targets?year=${t.year}`);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      await targetsPage(req, res, { values: b, year: b.year, errors: formErrors(err, fields, lang(req)) }, err.status);
    }
  }));

  const calendarPage = async (req: Request, res: Response, year: number, extra: Ctx = {}, status = 200) => {
    const view = await deps.calendar.year(year, 'mon-fri');
    // The form starts from the year's announced days (or is empty for a law-only year).
    const lines = view.source === 'announced' ? [...view.daysOff, ...view.makeUpDays].sort((a, b) => a.date.localeCompare(b.date)).map((d) => [d.date, d.kind, d.holiday ?? '', d.note ?? ''].join(';')).join('\n') : '';
    render(req, res, 'admin-calendar', { title: 'admin.calendar', nav: 'admin', year, prev: year - 1, next: year + 1, view, values: { source: view.announcedBy ?? '', days: lines }, ...extra }, status);
  };
  const calendarYear = (v: unknown): number => {
    const year = /^\d{4}$/.test(String(v)) ? Number(v) : Number(vietnamDate(Date.now()).slice(0, 4));
    if (year < 1900 || year > 2100) throw new HttpError(400, 'validation_failed', 'year: must be between 1900 and 2100');
    return year;
  };
  r.get('/admin/calendar', ...gate, asyncRoute((req, res) => calendarPage(req, res, calendarYear(req.query.year))));
  r.post('/admin/calendar', ...gate, adminOnly, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const b = req.body as Record<string, string>;
    const year = calendarYear(b.year);
    // One day per line: date;kind;holiday;note (holiday and note may be empty).
    const days = String(b.days ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [date = '', kind = '', holiday = '', ...note] = l.split(';').map((x) => x.trim());
        return { date, kind, holiday: holiday || null, ...(note.join(';') ? { note: note.join(';') } : {}) };
      });
    try {
      const saved = await deps.calendar.saveYear(me(req), { year, ...parse(YearBody, { source: b.source ?? '', days }, 'body') });
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.calendarSaved', { n: saved.casesNotified }) };
      res.redirect(303, `/admin/calendar?year=${year}`);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      const errors = formErrors(err, [{ name: 'source', kind: 'text' }, { name: 'days', kind: 'text' }], lang(req));
      // A bad day names its line: days.N.field → line N+1.
      const lines = (err.fields ?? []).filter((f) => f.field.startsWith('days.')).map((f) => `${translator(lang(req))('admin.calendarLine', { n: Number(f.field.split('.')[1]) + 1 })} ${f.field.split('.').slice(2).join('.')}: ${translateMessage(f, lang(req))}`);
      await calendarPage(req, res, year, { values: b, errors: { fields: lines.length ? { ...errors.fields, days: lines.join(' ') } : errors.fields, general: lines.length ? [] : errors.general } }, err.status);
    }
  }));

  const deadlinesPage = async (req: Request, res: Response, extra: Ctx = {}, status = 200) => {
    const l = lang(req);
    const { rows: ladders } = await deps.pool.query<{ caseType: string; step: string; rungs: unknown }>(
      `SELECT case_type AS "caseType", step, rungs FROM escalation_ladders ORDER BY case_type, step`,
    );
    render(req, res, 'admin-deadlines', {
      title: 'admin.deadlines',
      nav: 'admin',
      admission: ADMISSION_STEPS.map((s) => ({ step: s, label: stepLabel('admission', s, l), deadline: STEP_META[s].deadline ?? null, signer: STEP_META[s].signer })),
      establishment: ESTABLISHMENT_STEP_CATALOG.map((s) => ({ step: s.id, label: s.label[l], workingDays: s.workingDays })),
      ladders: ladders.map((x) => ({ ...x, rungs: JSON.stringify(x.rungs) })),
      ladderSteps: ['*', ...ADMISSION_STEPS, ...ESTABLISHMENT_STEP_IDS.filter((x) => !(ADMISSION_STEPS as readonly string[]).includes(x))],
      values: { rungs: JSON.stringify(DEFAULT_LADDER) },
      ...extra,
    }, status);
  };
  r.get('/admin/deadlines', ...gate, asyncRoute((req, res) => deadlinesPage(req, res)));
  r.post('/admin/deadlines', ...gate, adminOnly, urlencoded, csrfProtection, asyncRoute(async (req, res) => {
    const p = me(req);
    const b = req.body as Record<string, string>;
    const LadderForm = z.strictObject({
      caseType: z.enum(['admission', 'cell-establishment'], { error: 'must be admission or cell-establishment' }),
      step: z.enum(['*', ...ADMISSION_STEPS, ...ESTABLISHMENT_STEP_IDS] as [string, ...string[]], { error: 'must be a step id or *' }),
      rungs: z.string().max(4000, 'must be at most 4000 characters'),
    });
    try {
      const form = parse(LadderForm, { caseType: b.caseType, step: b.step, rungs: b.rungs ?? '' }, 'body');
      let json: unknown;
      try {
        json = JSON.parse(form.rungs);
      } catch {
        throw new HttpError(400, 'validation_failed', 'rungs: is not valid JSON', [{ field: 'rungs', rule: 'json', message: 'is not valid JSON' }]);
      }
      const rungs = LadderSchema.safeParse(json);
      if (!rungs.success) {
        const issue = rungs.error.issues[0]!;
        throw new HttpError(400, 'validation_failed', `rungs: ${issue.path.join('.')} ${issue.message}`, [{ field: 'rungs', rule: 'ladder', message: `${issue.path.join('.')} ${issue.message}`.trim() }]);
      }
      await withTransaction(deps.pool, async (db) => {
        await db.query(
          `INSERT INTO escalation_ladders (case_type, step, rungs) VALUES ($1, $2, $3)
           ON CONFLICT (case_type, step) DO UPDATE SET rungs = EXCLUDED.rungs, updated_at = now()`,
          [form.caseType, form.step, JSON.stringify(rungs.data)],
        );
        await appendAudit(db, { actorUserId: p.userId, actorIp: p.ip, action: 'escalation-ladder.set', entityType: 'escalation-ladder', entityId: `${form.caseType}/${form.step}`, details: { rungs: rungs.data } });
      });
      req.session.flash = { kind: 'ok', text: translator(lang(req))('flash.ladderSaved') };
      res.redirect(303, '/admin/deadlines');
    } catch (err) {
      if (!(err instanceof HttpError) || err.status >= 500) throw err;
      await deadlinesPage(req, res, { values: b, errors: formErrors(err, [{ name: 'caseType', kind: 'select' }, { name: 'step', kind: 'select' }, { name: 'rungs', kind: 'text' }], lang(req)) }, err.status);
    }
  }));

  r.get('/admin/outbox', ...gate, adminOnly, asyncRoute(async (req, res) => {
    const { rows } = await deps.pool.query(
      `SELECT id, kind, case_id AS "caseId", step, rung, to_address AS "to", subject, text_body AS "text", status, attempts,
              to_json(created_at) #>> '{}' AS "createdAt" FROM email_outbox ORDER BY id DESC LIMIT 100`,
    );
    render(req, res, 'admin-outbox', { title: 'admin.outbox', nav: 'admin', items: rows });
  }));

  // Errors on pages: the login for 401, else the error page in the page's language (never the API's JSON).
  r.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof multer.MulterError ? new HttpError(err.code === 'LIMIT_FILE_SIZE' ? 413 : 400, 'bad_upload', err.message) : toHttpError(err);
    const status = known?.status ?? 500;
    if (status === 500) {
      deps.logger?.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack }, method: req.method, route: req.route?.path ?? req.path }, 'page error');
    }
    if (status === 401) return res.redirect(303, '/login');
    const csrf = known?.code === 'csrf';
    const key = status === 404 ? 'errors.notFound' : csrf ? 'errors.csrf' : status === 403 ? 'errors.forbidden' : status === 413 ? 'errors.tooLarge' : status >= 500 ? 'errors.internal' : 'errors.badRequest';
    const detail = known && status < 500 && status !== 404 && !csrf ? translateMessage({ field: '', rule: known.code, message: known.message }, lang(req)) : null;
    render(req, res, 'error', { title: 'errors.title', status, message: key, detail, bare: !req.principal }, status);
  });
  return r;
}

const pick = (o: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));

const LIST_FIELDS: FormField[] = ['status', 'type', 'step', 'organizationId', 'overdue', 'dueWithin', 'year', 'q', 'sort', 'after', 'limit'].map((name) => ({ name, kind: 'text' }));
const NEW_CASE_FIELDS: FormField[] = ['person.fullName', 'person.dateOfBirth', 'organizationId', 'upperId', 'enterpriseId'].map((name) => ({ name, kind: 'text' }));

/** The open step's form, and whether this user may sign it (else who does). */
function signOffForm(p: Principal, type: string, live: CaseView, staff: boolean): { fields: readonly FormField[]; allowed: boolean; note: string | null } | null {
  if (!live.step) return null;
  if (type === 'cell-establishment') {
    const step = live.step as EstablishmentStepId;
    const fields = ESTABLISHMENT_FORMS[step];
    if (!fields) return null;
    const allowed = step === 'decision' ? p.roles.some((r) => r.role === 'approver' && r.body === 'standing-committee' && r.organizationId === live.organizationId) : staff;
    return { fields, allowed, note: step === 'decision' ? 'standing-committee' : 'staff' };
  }
  const step = live.step as AdmissionStep;
  const meta = STEP_META[step];
  const chain = (live as { chain?: ApprovalChain }).chain;
  const link = chain ? signerLink(chain, meta.signer) : null;
  const allowed = link ? canSign(p, link) : staff || (chain ? canSign(p, chain.cell) : false);
  return { fields: ADMISSION_FORMS[step], allowed, note: link ? link.body : 'staff' };
}

function progressBar(kind: 'admissions' | 'organizations', pr: { counted: number; target: number | null; percent: number | null }) {
  return { kind, ...pr, width: Math.min(100, Math.round(pr.percent ?? 0)) };
}

/** Admissions per month as bars and their running total against the target's even pace, as SVG coordinates. */
function monthlyChart(months: readonly number[], target: number | null, year: number, asOf: string, l: Lang) {
  const W = 600;
  const H = 220;
  const pad = { l: 36, r: 10, t: 10, b: 24 };
  const lastMonth = asOf.slice(0, 4) === String(year) ? Number(asOf.slice(5, 7)) : asOf < `${year}-01-01` ? 0 : 12;
  const cumulative: number[] = [];
  months.forEach((n, i) => cumulative.push((cumulative[i - 1] ?? 0) + n));
  const top = Math.max(1, target ?? 0, ...cumulative);
  const x = (i: number) => pad.l + ((W - pad.l - pad.r) * i) / 12;
  const y = (v: number) => H - pad.b - ((H - pad.t - pad.b) * v) / top;
  const bw = (W - pad.l - pad.r) / 12 - 6;
  const monthNames = Array.from({ length: 12 }, (_, i) => (l === 'vi' ? `T${i + 1}` : new Date(Date.UTC(2000, i, 1)).toLocaleString('en', { month: 'short', timeZone: 'UTC' })));
  return {
    width: W,
    height: H,
    bars: months.map((n, i) => ({ x: x(i) + 3, y: y(n), w: bw, h: H - pad.b - y(n), n, label: monthNames[i], lx: x(i) + 3 + bw / 2, ly: H - 6, future: i >= lastMonth })),
    actual: cumulative.slice(0, lastMonth).map((v, i) => `${x(i + 1)},${y(v)}`).join(' '),
    actualStart: `${x(0)},${y(0)}`,
    pace: target ? `${x(0)},${y(0)} ${x(12)},${y(target)}` : null,
    axis: { x1: pad.l, x2: W - pad.r, y: H - pad.b, topLabel: top, topY: pad.t + 10 },
    summary: { counted: cumulative[Math.max(0, lastMonth - 1)] ?? 0, pace: target ? Math.round((target * lastMonth) / 12) : null },
  };
}

/** Steps waiting for this user: sign-offs for their bodies, staff steps in their subtrees; due soonest first. */
async function myWork(deps: AppDeps, p: Principal) {
  const { cases, organizations } = deps;
  const bodySteps: Record<string, readonly string[]> = {
    cell: ['cell-vote', 'recognition-cell-vote'],
    'partial-committee': ['partial-appraisal'],
    'grassroots-committee': ['committee-vote', 'recognition-committee-vote'],
    'standing-committee': ['decision', 'recognition-decision'],
  };
  const chains = new Map<string, Promise<ApprovalChain | null>>();
  const chainOf = (orgId: string) => {
    if (!chains.has(orgId)) chains.set(orgId, organizations.chain(p, orgId).catch(() => null));
    return chains.get(orgId)!;
  };
  const found = new Map<string, Awaited<ReturnType<typeof cases.list>>['items'][number] & { why: string }>();
  for (const role of p.roles) {
    if (!role.organizationId) continue;
    if (role.role === 'approver' && role.body) {
      for (const step of bodySteps[role.body] ?? []) {
        const page = await cases.list(p, { status: 'open', step: step as AdmissionStep, organizationId: role.organizationId, sort: 'dueOn', limit: 100 });
        for (const c of page.items) {
          if (c.type === 'cell-establishment') {
            if (step === 'decision' && role.body === 'standing-committee' && c.organizationId === role.organizationId) found.set(c.id, { ...c, why: 'sign' });
            continue;
          }
          const chain = await chainOf(c.organizationId);
          const link = chain && signerLink(chain, STEP_META[step as AdmissionStep].signer);
          if (link && canSign(p, link)) found.set(c.id, { ...c, why: 'sign' });
        }
      }
    }
    if (role.role === 'organizer') {
      const page = await cases.list(p, { status: 'open', organizationId: role.organizationId, sort: 'dueOn', limit: 200 });
      for (const c of page.items) {
        const staffStep = c.type === 'cell-establishment' ? c.currentStep !== 'decision' : c.currentStep !== null && STEP_META[c.currentStep as AdmissionStep]?.signer === 'staff' && c.currentStep !== 'probation';
        if (staffStep && !found.has(c.id)) found.set(c.id, { ...c, why: 'drive' });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.currentStepDueOn ?? '9999') .localeCompare(b.currentStepDueOn ?? '9999') || a.openedAt.localeCompare(b.openedAt)).slice(0, 200);
}

