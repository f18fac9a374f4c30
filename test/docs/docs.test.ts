/**
 * Keeps the docs honest: README.md and docs/*.md may only name npm scripts, environment variables, repository
 * paths, links and images that exist, and the user guide stays Vietnamese and quotes the UI's real labels.
 * Pure file reads: no server, no network. Each checker is a function of the text; each has a negative case
 * below, so none can pass by finding nothing.
 *
 * Conventions the checks rely on:
 * - an environment variable is an UPPER_SNAKE name inside backticks or a fenced block (`DATABASE_URL`, or a
 *   lone word such as `PORT`); in docs/*.md and the README's "Configuration" section each must be read by
 *   infra/config.ts, except the few in ENV_NOT_IN_CONFIG, which name the file that reads them;
 * - a repository path is a backticked token starting with one of REPO_DIRS and a slash (`infra/config.ts`,
 *   `test/histories/`, `api/routes/*.ts`); it must exist (a glob must match a file);
 * - in the user guide, «…» quotes a label exactly as the UI shows it: a value of ui/locales/vi.json or a step
 *   label of workflows/steps.ts / workflows/establishment-rules.ts. A {{placeholder}} in a label stands for any
 *   text (so «đạt 50,5 % chỉ tiêu» matches "đạt {{percent}} chỉ tiêu"), and a final full stop is optional.
 *   Other quotations (email subjects, examples) use "…" and are not checked.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOC_SCREENSHOTS, MAX_IMAGE_BYTES } from '../../scripts/docs-screenshots.js';
import { ESTABLISHMENT_STEP_CATALOG } from '../../workflows/establishment-rules.js';
import { ADMISSION_STEP_CATALOG } from '../../workflows/steps.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const DOCS_DIR = path.join(ROOT, 'docs');
const USER_GUIDE = 'docs/huong-dan-su-dung.md';
const DOC_FILES = readdirSync(DOCS_DIR)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => `docs/${f}`);
const ALL_FILES = ['README.md', ...DOC_FILES];

/** UPPER_SNAKE names in the docs that are not read by infra/config.ts, each with the file that does read it. */
const ENV_NOT_IN_CONFIG: Readonly<Record<string, string>> = {
  TEST_DATABASE_URL: 'test/global-setup.ts',
  BACKUP_CHECK_DATABASE_URL: 'scripts/backup-restore-check.ts',
};

/** Top-level folders whose paths, written in backticks, must exist. */
const REPO_DIRS = ['infra', 'scripts', 'test', 'workflows', 'api', 'ui', 'docs', 'activities', 'templates', 'bench'];

// ---- markdown pieces ----------------------------------------------------------------------------------

const FENCE = /^(```|~~~)([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;
/** Fenced blocks, or only those whose info string is one of `langs` (`sh` …). */
const fencedBlocks = (md: string, langs?: readonly string[]): string[] =>
  [...md.matchAll(FENCE)].filter((m) => !langs || langs.includes(m[2]!.trim())).map((m) => m[3]!);
/** Blocks of shell commands: their paths are real ones (a plain block may be a tree of relative names). */
const SHELL = ['sh', 'bash', 'shell', 'console'];
const withoutFences = (md: string): string => md.replace(FENCE, '');
/** Inline code spans (outside fenced blocks); a span may wrap to the next line but not across a blank one. */
const codeSpans = (md: string): string[] =>
  [...withoutFences(md).matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((s) => !s.includes('\n\n'));
/** Text as a reader sees it: no fenced blocks, no code spans. */
const prose = (md: string): string => withoutFences(md).replace(/`[^`]+`/g, ' ');
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The body of the `## <title>` section, up to the next heading of level 2. */
function section(md: string, title: string): string {
  const start = md.search(new RegExp(`^## ${title}\\s*$`, 'm'));
  if (start < 0) return '';
  const rest = md.slice(start + 1);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

// ---- 1. npm scripts -----------------------------------------------------------------------------------

/** `npm run x` (also wrapped over lines) and `npm start` / `npm test`. A name ending in `:…` means a family. */
export function npmScriptsMentioned(md: string): string[] {
  const text = md.replace(/\s+/g, ' ');
  const names = [...text.matchAll(/\bnpm run ([A-Za-z0-9][\w:.-]*…?)/g)].map((m) => (m[1]!.endsWith('…') ? m[1]! : m[1]!.replace(/[.:]+$/, '')));
  const builtins = [...text.matchAll(/\bnpm (start|test)\b/g)].map((m) => m[1]!);
  return [...new Set([...names, ...builtins])];
}

export function missingNpmScripts(md: string, scripts: Readonly<Record<string, string>>): string[] {
  return npmScriptsMentioned(md).filter((name) =>
    name.endsWith(':…') ? !Object.keys(scripts).some((s) => s.startsWith(name.slice(0, -1))) : !(name in scripts),
  );
}

// ---- 2. environment variables -------------------------------------------------------------------------

/** The variables infra/config.ts reads: the keys of its env schema, and any `env.X` / `process.env.X`. */
export function configVarsRead(source: string): Set<string> {
  const names = new Set<string>();
  const schema = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1] ?? '';
  for (const m of schema.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)) names.add(m[1]!);
  for (const m of source.matchAll(/\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  return names;
}

const ENV_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/** UPPER_SNAKE names in code spans and fenced blocks, and code spans that are a lone upper-case word. */
export function envVarsMentioned(md: string): string[] {
  const names = new Set<string>();
  for (const code of [...codeSpans(md), ...fencedBlocks(md)]) {
    for (const m of code.matchAll(ENV_NAME)) names.add(m[0]);
    if (/^[A-Z][A-Z0-9]{2,}$/.test(code.trim())) names.add(code.trim());
  }
  return [...names];
}

export function unknownEnvVars(md: string, read: ReadonlySet<string>, excluded: Readonly<Record<string, string>>): string[] {
  return envVarsMentioned(md).filter((n) => !read.has(n) && !(n in excluded));
}

// ---- 3. links and images ------------------------------------------------------------------------------

interface Link {
  readonly image: boolean;
  readonly text: string;
  readonly target: string;
}

export function links(md: string): Link[] {
  return [...prose(md).matchAll(/(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
    image: m[1] === '!',
    text: m[2]!,
    target: m[3]!,
  }));
}

/** GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen; repeats get -1, -2 … */
export function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutFences(md).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** Relative links and images of `file` (a path from the repo root) that lead nowhere. */
export function brokenLinks(file: string, md: string): string[] {
  const problems: string[] = [];
  for (const { target } of links(md)) {
    if (isExternal(target)) continue;
    const [rawPath = '', rawAnchor] = target.split('#', 2);
    const resolved = rawPath === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(rawPath));
    if (!resolved.startsWith(ROOT + path.sep)) {
      problems.push(`${file}: ${target} leaves the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${file}: ${target} does not exist`);
      continue;
    }
    if (rawAnchor !== undefined && resolved.endsWith('.md')) {
      const anchor = decodeURIComponent(rawAnchor);
      if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${file}: ${target} has no heading #${anchor}`);
    }
  }
  return problems;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Images of `file`: alt text present, a PNG (by signature) under docs/images/, small enough. */
export function imageProblems(file: string, md: string): string[] {
  const problems: string[] = [];
  for (const { text, target } of links(md).filter((l) => l.image)) {
    if (text.trim() === '') problems.push(`${file}: image ${target} has no alt text`);
    if (isExternal(target)) {
      problems.push(`${file}: image ${target} is not in the repository`);
      continue;
    }
    const resolved = path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(target));
    if (!resolved.startsWith(path.join(ROOT, 'docs', 'images') + path.sep)) problems.push(`${file}: image ${target} is not under docs/images/`);
    if (!existsSync(resolved)) {
      problems.push(`${file}: image ${target} does not exist`);
      continue;
    }
    const bytes = readFileSync(resolved);
    if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) problems.push(`${file}: image ${target} is not a PNG`);
    if (bytes.length > MAX_IMAGE_BYTES) problems.push(`${file}: image ${target} is ${Math.round(bytes.length / 1024)} KiB (at most ${MAX_IMAGE_BYTES / 1024})`);
  }
  return problems;
}

// ---- 4. repository paths ------------------------------------------------------------------------------

const PATH_TOKEN = new RegExp(`(?<![\\w./>$~-])(?:${REPO_DIRS.join('|')})/[^\\s\`'"()<>,;]*`, 'g');

export function repoPathsMentioned(md: string): string[] {
  const found = new Set<string>();
  for (const code of [...codeSpans(md), ...fencedBlocks(md, SHELL)]) {
    for (const m of code.matchAll(PATH_TOKEN)) found.add(m[0].replace(/[.,:;…]+$/, ''));
  }
  return [...found];
}

function pathExists(rel: string): boolean {
  const clean = rel.split('…')[0]!; // `api/…`: the folder before the ellipsis
  if (!clean.includes('*')) return existsSync(path.join(ROOT, clean));
  const parts = clean.split('/');
  const fixed = parts.slice(0, parts.findIndex((p) => p.includes('*'))).join('/');
  const pattern = new RegExp(`^${clean.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '.*').replace(/(?<!\.)\*/g, '[^/]*')}$`);
  const walk = (dir: string): string[] =>
    !existsSync(path.join(ROOT, dir)) || !statSync(path.join(ROOT, dir)).isDirectory()
      ? []
      : readdirSync(path.join(ROOT, dir)).flatMap((f) => [`${dir}/${f}`, ...walk(`${dir}/${f}`)]);
  return walk(fixed).some((f) => pattern.test(f));
}

export function missingRepoPaths(md: string): string[] {
  return repoPathsMentioned(md).filter((p) => !pathExists(p));
}

// ---- 5. the user guide: Vietnamese, with the UI's own labels ------------------------------------------

function localeValues(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (node && typeof node === 'object') return Object.values(node).flatMap(localeValues);
  return [];
}

/** Every label the UI can show in Vietnamese: the locale file and the step catalogs. */
export function uiLabels(): string[] {
  return [
    ...localeValues(JSON.parse(read('ui/locales/vi.json'))),
    ...ADMISSION_STEP_CATALOG.map((s) => s.label.vi),
    ...ESTABLISHMENT_STEP_CATALOG.map((s) => s.label.vi),
  ];
}

export const quotedLabels = (md: string): string[] => [...prose(md).matchAll(/«([^»]+)»/g)].map((m) => squash(m[1]!));

const noFinalStop = (s: string) => s.replace(/\.$/, '');
function labelPattern(label: string): RegExp {
  const escaped = noFinalStop(squash(label)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\\\{\\\{\w+\\\}\\\}/g, '.+')}$`);
}

export function unknownLabels(md: string, labels: readonly string[]): string[] {
  const patterns = labels.map(labelPattern);
  return [...new Set(quotedLabels(md))].filter((q) => !patterns.some((p) => p.test(noFinalStop(q))));
}

const VIETNAMESE_LETTER = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;

/** Share of the prose's words that carry a Vietnamese letter with a diacritic (about half in Vietnamese text). */
export function vietnameseShare(md: string): number {
  const words = prose(md)
    .replace(/\]\([^)]*\)/g, ']')
    .split(/\s+/)
    .filter((w) => /\p{L}/u.test(w));
  return words.length === 0 ? 0 : words.filter((w) => VIETNAMESE_LETTER.test(w)).length / words.length;
}

// ---- the checks ---------------------------------------------------------------------------------------

describe('docs', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const configVars = configVarsRead(read('infra/config.ts'));

  it('exist', () => {
    expect(DOC_FILES).toEqual(expect.arrayContaining(['docs/architecture.md', 'docs/huong-dan-su-dung.md', 'docs/operator-guide.md']));
  });

  describe('every `npm run …` names a script of package.json', () => {
    it.each(ALL_FILES)('%s', (file) => {
      expect(missingNpmScripts(read(file), scripts)).toEqual([]);
    });
    it('finds a missing one', () => {
      const sample = 'Run `npm run no-such-script`, then `npm\nrun test:replay`, `npm start` and `npm run bench:…`.';
      expect(npmScriptsMentioned(sample)).toEqual(['no-such-script', 'test:replay', 'bench:…', 'start']);
      expect(missingNpmScripts(sample, { 'test:replay': '', start: '', 'bench:load': '' })).toEqual(['no-such-script']);
      expect(missingNpmScripts('`npm run bench:…`', { start: '' })).toEqual(['bench:…']);
    });
  });

  describe('every environment variable in the configuration docs is read by infra/config.ts', () => {
    it('parses the names config.ts reads', () => {
      expect([...configVars]).toEqual(expect.arrayContaining(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SESSION_SECRET', 'PORT']));
      expect(configVarsRead('const EnvSchema = z.object({\n  ONLY_THIS: z.string(),\n});\nconst x = env.AND_THIS;')).toEqual(new Set(['ONLY_THIS', 'AND_THIS']));
    });
    it.each([...DOC_FILES, 'README.md'])('%s', (file) => {
      const md = file === 'README.md' ? section(read(file), 'Configuration') : read(file);
      expect(md.length, `${file} has the section`).toBeGreaterThan(0);
      expect(unknownEnvVars(md, configVars, ENV_NOT_IN_CONFIG)).toEqual([]);
    });
    it('keeps its exceptions true: each is read by the file it names', () => {
      for (const [name, file] of Object.entries(ENV_NOT_IN_CONFIG)) expect(read(file), `${file} reads ${name}`).toContain(name);
    });
    it('finds an unknown one', () => {
      const sample = 'Set `DATABASE_URL` and `SESSION_SECRETS`; `PORT` too.\n```sh\nNOT_A_VAR=1 npm start\n```\n';
      expect(envVarsMentioned(sample).sort()).toEqual(['DATABASE_URL', 'NOT_A_VAR', 'PORT', 'SESSION_SECRETS']);
      expect(unknownEnvVars(sample, configVars, ENV_NOT_IN_CONFIG).sort()).toEqual(['NOT_A_VAR', 'SESSION_SECRETS']);
    });
  });

  describe('every relative link and image points to an existing file (and heading)', () => {
    it.each(ALL_FILES)('%s', (file) => {
      expect(brokenLinks(file, read(file))).toEqual([]);
    });
    it.each(ALL_FILES)('%s: images are PNGs under docs/images/ with alt text', (file) => {
      expect(imageProblems(file, read(file))).toEqual([]);
    });
    it('finds a broken link, a missing heading and a bad image', () => {
      const sample = '[a](missing.md) [b](operator-guide.md#no-such-heading) [c](#backups) [d](https://example.org/x) ![](images/none.png) ![x](../README.md)';
      expect(brokenLinks('docs/sample.md', sample)).toEqual([
        'docs/sample.md: missing.md does not exist',
        'docs/sample.md: operator-guide.md#no-such-heading has no heading #no-such-heading',
        'docs/sample.md: #backups does not exist',
        'docs/sample.md: images/none.png does not exist',
      ]);
      expect(imageProblems('docs/sample.md', sample)).toEqual([
        'docs/sample.md: image images/none.png has no alt text',
        'docs/sample.md: image images/none.png does not exist',
        'docs/sample.md: image ../README.md is not under docs/images/',
        'docs/sample.md: image ../README.md is not a PNG',
      ]);
      expect(headingAnchors('# Tổng quan: chỉ tiêu\n## 10. Văn bản: 1-KNĐ … 16-KNĐ\n## A\n## A')).toEqual(
        new Set(['tổng-quan-chỉ-tiêu', '10-văn-bản-1-knđ--16-knđ', 'a', 'a-1']),
      );
    });
    it('every file in docs/images/ is shown by a doc, and every screenshot the script copies is in the user guide', () => {
      const shown = new Set(DOC_FILES.flatMap((f) => links(read(f)).filter((l) => l.image).map((l) => path.basename(l.target))));
      expect(readdirSync(path.join(DOCS_DIR, 'images')).filter((f) => !shown.has(f))).toEqual([]);
      const inGuide = new Set(links(read(USER_GUIDE)).filter((l) => l.image).map((l) => path.basename(l.target, '.png')));
      expect(DOC_SCREENSHOTS.map((s) => s.name).filter((n) => !inGuide.has(n))).toEqual([]);
    });
  });

  describe('every repository path in backticks exists', () => {
    it.each(ALL_FILES)('%s', (file) => {
      expect(missingRepoPaths(read(file))).toEqual([]);
    });
    it('finds a missing one, and ignores URLs and paths under other roots', () => {
      const sample = 'See `infra/config.ts`, `api/routes/*.ts`, `infra/no-such-file.ts`, `templates/none/*.hbs`,\n' +
        '`GET /api/v1/docs`, `http://localhost:3000/api/v1/cases`, `<old>/workflows/x.ts`, `dist/bundle.js`.\n```sh\nnode --import tsx scripts/nope.ts\n```\n';
      expect(repoPathsMentioned(sample).sort()).toEqual(['api/routes/*.ts', 'infra/config.ts', 'infra/no-such-file.ts', 'scripts/nope.ts', 'templates/none/*.hbs']);
      expect(missingRepoPaths(sample).sort()).toEqual(['infra/no-such-file.ts', 'scripts/nope.ts', 'templates/none/*.hbs']);
    });
  });

  describe('the user guide is Vietnamese and quotes the UI’s real labels in «…»', () => {
    const guide = read(USER_GUIDE);
    const labels = uiLabels();
    it('is written in Vietnamese', () => {
      expect(vietnameseShare(guide)).toBeGreaterThan(0.3);
    });
    it('quotes labels, each as the UI shows it', () => {
      expect(quotedLabels(guide).length).toBeGreaterThan(100);
      expect(unknownLabels(guide, labels)).toEqual([]);
    });
    it('has Vietnamese alt text on its images', () => {
      const alts = links(guide).filter((l) => l.image).map((l) => l.text);
      expect(alts.length).toBeGreaterThan(0);
      expect(alts.filter((a) => !VIETNAMESE_LETTER.test(a))).toEqual([]);
    });
    it('finds English text and a label the UI does not have', () => {
      expect(vietnameseShare('The dashboard shows the targets and the progress of each organization.')).toBe(0);
      const sample = 'Bấm «Ghi nhận», rồi xem «đạt 50,5 % chỉ tiêu» và «Đã lưu chỉ tiêu» ở trang «Nút không có».';
      expect(quotedLabels(sample)).toEqual(['Ghi nhận', 'đạt 50,5 % chỉ tiêu', 'Đã lưu chỉ tiêu', 'Nút không có']);
      expect(unknownLabels(sample, labels)).toEqual(['Nút không có']);
    });
  });
});
