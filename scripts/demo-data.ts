/**
 * The reference committee as demo data, loaded through the HTTP API exactly as a committee would bring in
 * its paper cases: an upper committee modelled on the Hai Phong Economic Zone's (5 grassroots committees
 * with 24 cells, 23 grassroots cells in enterprises of named industrial zones, about 1,060 members), its
 * 2024 targets (190 admissions, 11 new organizations), and cases in every step entered through the in-flight
 * import (each with its earlier steps' dates, votes and decision numbers as history), so that the dashboard as
 * of 31/03/2024 shows 96/190 and 2/11. Two enterprises are taken through their establishment with the dates
 * of their papers; others wait at survey and owner consent. Names are generated and fictional.
 *
 * Idempotent: whatever exists (found by name) is reused, so a second run adds nothing.
 */
export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** JSON over HTTP as one caller: an API token, or a session cookie with its CSRF token. */
export function httpApi(baseUrl: string, auth: { token: string } | { cookie: string; csrf: string }): Api {
  return async (method, path, body) => {
    const headers: Record<string, string> = 'token' in auth ? { authorization: `Bearer ${auth.token}` } : { cookie: auth.cookie, 'x-csrf-token': auth.csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Logs in (the demo signs as the standing committee's user) and answers an Api for that session. */
export async function loginApi(baseUrl: string, username: string, password: string): Promise<Api> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return httpApi(baseUrl, { cookie, csrf: csrfToken });
}

export const DEMO = {
  upperName: 'Đảng bộ Khu kinh tế Hải Phòng (mô phỏng)',
  symbol: 'ĐUKKTHP',
  year: 2024,
  asOf: '2024-03-31',
  targets: { admissions: 190, organizations: 11 },
  admitted: 96,
  established: 2,
} as const;

const ZONES = ['KCN Đình Vũ', 'KCN Tràng Duệ', 'KCN Nam Cầu Kiền', 'KCN VSIP Hải Phòng', 'KCN Deep C', 'KCN Nomura', 'KCN An Dương', 'KCN Đồ Sơn'];
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Phan', 'Đinh'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Hữu', 'Ngọc', 'Quang', 'Thanh', 'Khánh'];
const GIVEN = ['An', 'Bình', 'Châu', 'Dũng', 'Giang', 'Hà', 'Hải', 'Hạnh', 'Hiếu', 'Hòa', 'Hùng', 'Hương', 'Khoa', 'Lan', 'Linh', 'Long', 'Mai', 'Nam', 'Nga', 'Ngân', 'Phong', 'Phúc', 'Quân', 'Quyên', 'Sơn', 'Tâm', 'Thảo', 'Thắng', 'Trang', 'Trung', 'Tú', 'Tuấn', 'Uyên', 'Vân', 'Việt', 'Yến'];
const FIRMS = ['Hải Âu', 'Sao Biển', 'Cánh Buồm', 'Bến Cảng Xanh', 'Thép Ánh Dương', 'Điện Tử Hoa Sen', 'May Mặc Trường Giang', 'Cơ Khí Bạch Đằng', 'Nhựa Rồng Vàng', 'Linh Kiện Sông Cấm', 'Logistics Cát Hải', 'Hóa Chất Lạch Tray', 'Giày Da Kiến An', 'Kính Nổi Đồ Sơn', 'Pin Mặt Trời Thủy Nguyên', 'Thực Phẩm Vĩnh Bảo', 'Ô Tô Ngũ Lão', 'Sơn Tàu Biển', 'Bao Bì Tiên Lãng', 'Dây Cáp Lập Lễ', 'Gỗ Nội Thất Hồng Bàng', 'Dệt Kim Quán Toan', 'Cảng Cạn Nam Hải', 'Vật Liệu Xanh Đông Hải', 'Phân Bón Minh Đức', 'Đóng Tàu Phà Rừng', 'Máy Lạnh Hải Thành', 'Quang Học An Lão'];

/** A small deterministic generator: the same names every run. */
function names(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!;
  const used = new Set<string>();
  return () => {
    for (;;) {
      const n = `${pick(FAMILY)} ${pick(MIDDLE)} ${pick(GIVEN)}`;
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const day = (m: number, d: number, y = 2024) => `${y}-${pad(m)}-${pad(d)}`;

export interface DemoResult {
  readonly upperId: string;
  readonly casesCreated: number;
  readonly casesFound: number;
}

/**
 * Loads the demo through `api` (the caller's token must be an admin's). `log` gets one line per stage;
 * `progress` is called as cases go in.
 */
export async function loadDemo(
  api: Api,
  o: { baseUrl: string; log?: (line: string) => void; progress?: (done: number, total: number) => void },
): Promise<DemoResult> {
  const log = o.log ?? (() => undefined);
  const ok = (res: { status: number; body: unknown }, what: string) => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  // ---- organizations ----
  const existing: Array<{ id: string; name: string; parentId: string | null }> = ok(await api('GET', '/api/v1/organizations'), 'organizations').items;
  const org = async (name: string, kind: string, parentId: string | null, extra: Record<string, unknown> = {}) => {
    const found = existing.find((e) => e.name === name && e.parentId === parentId);
    if (found) return found.id;
    const created = ok(await api('POST', '/api/v1/organizations', { name, kind, ...(parentId ? { parentId } : {}), ...extra }), `organization ${name}`);
    existing.push({ id: created.id, name, parentId });
    return created.id as string;
  };
  const upper = await org(DEMO.upperName, 'upper-committee', null, { symbol: DEMO.symbol, place: 'Hải Phòng' });
  let firm = 0;
  const hosts: Array<{ id: string; committee: boolean }> = [];
  const cellSizes = [12, 9, 15, 8, 11];
  for (let g = 0; g < 5; g++) {
    const gc = await org(`Đảng bộ Công ty ${FIRMS[firm++]}`, 'grassroots-committee', upper, { officialMembers: 0 });
    for (let c = 0; c < (g < 4 ? 5 : 4); c++) hosts.push({ id: await org(`Chi bộ Phân xưởng ${c + 1} – ${FIRMS[firm - 1]}`, 'cell', gc, { officialMembers: cellSizes[(g + c) % 5]! * 2 }), committee: true });
  }
  for (let i = 0; i < 23; i++) hosts.push({ id: await org(`Chi bộ Công ty ${FIRMS[firm++ % FIRMS.length]} ${ZONES[i % ZONES.length]!.replace('KCN ', '')}`, 'grassroots-cell', upper, { officialMembers: 12 + ((i * 7) % 15) }), committee: false });
  log(`organizations: 1 upper, 5 grassroots committees with 24 cells, 23 grassroots cells`);

  // ---- targets ----
  for (const [kind, value] of Object.entries(DEMO.targets)) ok(await api('PUT', '/api/v1/targets', { organizationId: upper, year: DEMO.year, kind, mode: 'absolute', value }), `target ${kind}`);

  // ---- users: the standing committee signs the establishment decisions; organizers get the escalations ----
  const users: Array<{ id: string; username: string }> = ok(await api('GET', '/api/v1/users'), 'users').items;
  const password = 'demo-mật-khẩu-2024';
  const user = async (username: string, displayName: string, roles: unknown[]) => {
    if (!users.some((u) => u.username === username)) ok(await api('POST', '/api/v1/users', { username, displayName, email: `${username}@demo.local`, password, roles }), `user ${username}`);
  };
  await user('demo-bantochuc', 'Ban Tổ chức (demo)', [{ role: 'organizer', organizationId: upper }]);
  await user('demo-thuongvu', 'Ban Thường vụ (demo)', [{ role: 'approver', organizationId: upper, body: 'standing-committee' }]);

  // ---- members who introduce and help (three official members in each host) ----
  const nameOf = names(2024);
  const members = new Map<string, string[]>();
  for (const h of hosts) {
    const listed: Array<{ id: string; memberStatus: string }> = ok(await api('GET', `/api/v1/people?organizationId=${h.id}&memberStatus=full&limit=10`), 'people').items;
    const ids = listed.map((p) => p.id);
    while (ids.length < 3) {
      const p = ok(await api('POST', '/api/v1/people', { fullName: nameOf(), dateOfBirth: '1978-05-12', organizationId: h.id, memberStatus: 'full', admittedOn: '2008-05-19' }), 'member');
      ids.push(p.id);
    }
    members.set(h.id, ids);
  }

  // ---- admission cases through the in-flight import ----
  // Every candidate's paper steps up to where the case stood; dates before 31/03/2024.
  type Plan = { host: (typeof hosts)[number]; upTo: string; decisionOn?: string; number?: number; late?: boolean };
  const plans: Plan[] = [];
  for (let i = 0; i < DEMO.admitted; i++) {
    const month = 1 + (i % 3);
    // `upTo`: the step the case stands at (its history holds every step before it).
    plans.push({ host: hosts[i % hosts.length]!, upTo: i % 4 === 0 && month < 3 ? 'probation' : 'ceremony', decisionOn: day(month, 5 + (i % 20)), number: i + 1 });
  }
  // The pipeline on 31/03/2024: a few cases at every step, some of them already late then.
  const stepsBefore = ['source', 'awareness-course', 'application', 'verification', 'introduction', 'opinions', 'cell-vote', 'committee-vote'];
  for (let i = 0; i < 40; i++) {
    const host = hosts[(i * 5) % hosts.length]!;
    const upTo = stepsBefore[i % stepsBefore.length]!;
    if (upTo === 'committee-vote' && !host.committee) continue;
    plans.push({ host, upTo, late: i % 3 === 0 });
  }
  let created = 0;
  let found = 0;
  let done = 0;
  const candidate = names(1960);
  const queue = plans.map((p, i) => ({ p, i, name: candidate() }));
  const one = async ({ p, i, name }: (typeof queue)[number]) => {
    const hit = ok(await api('GET', `/api/v1/cases?q=${encodeURIComponent(name)}&organizationId=${p.host.id}&limit=5`), 'search').items as unknown[];
    if (hit.length) {
      found++;
      return;
    }
    const [helper, intro1, intro2] = members.get(p.host.id)!;
    // Late cases sat on their step for months; others entered it recently.
    const base = p.decisionOn ? -120 : p.late ? -150 : -40;
    const at = (offset: number) => {
      const d = new Date(Date.UTC(2024, 2, 31) + (base + offset) * 86_400_000);
      return d.toISOString().slice(0, 10);
    };
    const history: Array<Record<string, unknown>> = [];
    const add = (step: string, signedOn: string, body: Record<string, unknown>) => history.push({ step, signedOn, ...body });
    const order = ['source', 'awareness-course', 'application', 'verification', 'introduction', 'opinions', 'cell-vote', 'committee-vote', 'decision', 'ceremony', 'probation'];
    const stop = order.indexOf(p.upTo);
    for (const [k, step] of order.entries()) {
      if (k >= stop) break;
      if (step === 'committee-vote' && !p.host.committee) continue;
      const on = at(k * 10 - 100);
      if (step === 'source') add(step, on, { helperPersonId: helper });
      if (step === 'awareness-course') add(step, on, { certificateIssuedOn: on });
      if (step === 'application') add(step, on, { receivedOn: on, biographySealedOn: on });
      if (step === 'verification') add(step, on, { completedOn: on, result: 'clear' });
      if (step === 'introduction') add(step, on, { introducedOn: on, introducers: [intro1, intro2].map((personId) => ({ personId, coWorkingMonths: 24 + (i % 12) })) });
      if (step === 'opinions') add(step, on, { summarizedOn: on });
      if (step === 'cell-vote') add(step, on, { vote: { heldOn: on, eligible: 12, present: 11, for: 10, against: 1 } });
      if (step === 'committee-vote') add(step, on, { vote: { heldOn: on, eligible: 9, present: 9, for: 8, against: 1 } });
      if (step === 'decision') add(step, p.decisionOn!, { decided: 'admit', number: `${p.number}-QĐ/${DEMO.symbol}`, issuedOn: p.decisionOn!, receivedByCellOn: p.decisionOn! });
      if (step === 'ceremony') {
        const held = new Date(Date.parse(`${p.decisionOn!}T00:00:00Z`) + 20 * 86_400_000).toISOString().slice(0, 10);
        add(step, held, { heldOn: held, helperPersonId: helper });
      }
    }
    const body = { type: 'admission', organizationId: p.host.id, person: { fullName: name, dateOfBirth: `${1994 + (i % 9)}-0${1 + (i % 9)}-1${i % 10}` }, ...(history.length ? { openedOn: at(-110), history } : {}) };
    ok(await api('POST', '/api/v1/cases', body), `case ${i} (${p.upTo})`);
    created++;
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let k = next++; k < queue.length; k = next++) {
        await one(queue[k]!);
        o.progress?.(++done, queue.length);
      }
    }),
  );
  log(`admission cases: ${created} imported, ${found} already there (${DEMO.admitted} admitted in Q1 2024, the rest in the pipeline)`);

  // ---- enterprises and their establishment ----
  const enterprises: Array<{ id: string; name: string }> = ok(await api('GET', '/api/v1/enterprises?limit=200'), 'enterprises').items;
  const enterprise = async (name: string, zone: string, workforce: number) =>
    enterprises.find((e) => e.name === name)?.id ?? ok(await api('POST', '/api/v1/enterprises', { name, zone, workforce }), `enterprise ${name}`).id;
  const est: Array<{ name: string; zone: string; upTo: string; decisionOn?: string }> = [
    { name: 'Công ty TNHH Điện Tử Ánh Sao (mô phỏng)', zone: ZONES[0]!, upTo: 'announcement', decisionOn: '2024-02-20' },
    { name: 'Công ty TNHH Cơ Khí Hải Long (mô phỏng)', zone: ZONES[3]!, upTo: 'announcement', decisionOn: '2024-03-18' },
    { name: 'Công ty TNHH Vật Liệu Mới Tân Cảng (mô phỏng)', zone: ZONES[4]!, upTo: 'survey' },
    { name: 'Công ty CP Dược Phẩm Lạch Huyện (mô phỏng)', zone: ZONES[2]!, upTo: 'survey' },
    { name: 'Công ty TNHH Linh Kiện Quang Minh (mô phỏng)', zone: ZONES[5]!, upTo: 'owner-consent' },
    { name: 'Công ty TNHH Dệt May Vĩnh Niệm (mô phỏng)', zone: ZONES[1]!, upTo: 'owner-consent' },
  ];
  const standing = await loginApi(o.baseUrl, 'demo-thuongvu', password);
  const openCases: Array<{ enterpriseId: string | null; id: string }> = ok(await api('GET', `/api/v1/cases?type=cell-establishment&limit=200`), 'establishment cases').items;
  let numbers = 200;
  for (const [k, e] of est.entries()) {
    const enterpriseId = await enterprise(e.name, e.zone, 300 + k * 120);
    if (openCases.some((c) => c.enterpriseId === enterpriseId)) continue;
    const opened = ok(await api('POST', '/api/v1/cases', { type: 'cell-establishment', organizationId: upper, enterpriseId }), `establishment ${e.name}`);
    const id = opened.caseId as string;
    const sign = async (step: string, body: unknown, as: Api = api) => ok(await as('POST', `/api/v1/cases/${id}/steps/${step}`, body), `${e.name} ${step}`);
    if (e.upTo === 'survey') continue;
    await sign('survey', { surveyedOn: '2023-09-12', workforce: 300 + k * 120, tradeUnion: true, youthUnion: k % 2 === 0, ownerAttitude: 'supportive', reportedMembers: { official: 5, probationary: 1, attachedElsewhere: 5 } });
    if (e.upTo === 'owner-consent') continue;
    ok(await api('POST', `/api/v1/cases/${id}/owner-meetings`, { heldOn: '2023-10-25', attendees: 'Đại diện Ban Tổ chức; Tổng Giám đốc công ty; Chủ tịch Công đoàn', outcome: 'consented' }), `${e.name} owner meeting`);
    await sign('owner-consent', { outcome: 'consented', consentOn: '2023-10-25', document: 'Biên bản làm việc với chủ doanh nghiệp' });
    // The members working there move their party membership to the enterprise (recorded one by one).
    for (let m = 0; m < 5; m++) {
      const person = ok(await api('POST', '/api/v1/people', { fullName: nameOf(), dateOfBirth: `198${m}-04-0${m + 1}`, organizationId: upper, memberStatus: 'full', admittedOn: '2012-05-19' }), 'member').id;
      ok(await api('POST', `/api/v1/cases/${id}/member-transfers`, { personId: person }), `${e.name} member transfer`);
    }
    await sign('member-transfer', { completedOn: '2023-12-15' });
    const short = e.name.replace(/^Công ty (TNHH|CP) /, '').replace(' (mô phỏng)', '');
    await sign('proposal', { proposedOn: '2024-01-15', name: `Chi bộ Công ty ${short}`, symbol: `CB${k + 1}`, kind: 'grassroots-cell', leadership: 'secretary' });
    const appointee = ok(await api('POST', '/api/v1/people', { fullName: nameOf(), dateOfBirth: '1982-08-08', organizationId: upper, memberStatus: 'full', admittedOn: '2009-05-19' }), 'appointee').id;
    await sign('decision', { establishmentNumber: `${numbers++}-QĐ/${DEMO.symbol}`, appointmentNumber: `${numbers++}-QĐ/${DEMO.symbol}`, issuedOn: e.decisionOn!, appointeePersonId: appointee }, standing);
    await sign('announcement', { heldOn: new Date(Date.parse(`${e.decisionOn!}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10) });
  }
  log(`enterprises: ${DEMO.established} established in Q1 2024, 2 at survey, 2 at owner consent`);
  return { upperId: upper, casesCreated: created, casesFound: found };
}
