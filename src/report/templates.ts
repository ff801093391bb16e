import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { messageOf, ReportError } from '../errors';
import { wallClock } from '../zoned-time';

export type Template = Handlebars.TemplateDelegate;

export interface ReportTemplates {
  report: Template;
  emailHtml: Template;
  emailText: Template;
}

/**
 * The folder holding report.html.hbs, found by walking up from this module: the same code runs
 * from src/ under the tests and from dist/src/ when built.
 */
export function templatesDirectory(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'templates');
    if (fs.existsSync(path.join(candidate, 'report.html.hbs'))) return candidate;
    if (path.dirname(dir) === dir) throw new ReportError(`no templates/report.html.hbs found above ${from}`, { file: 'templates/report.html.hbs' });
  }
}

let cached: ReportTemplates | undefined;

/** The report templates, compiled once per process. */
export function reportTemplates(): ReportTemplates {
  cached ??= compileTemplates(templatesDirectory());
  return cached;
}

/**
 * Compiles the templates of `dir` in strict mode, so a misspelt field throws rather than
 * rendering as an empty string. HTML and plain text get separate Handlebars environments:
 * the text must not be HTML-escaped, and a partial compiled for one must never serve the other.
 */
export function compileTemplates(dir: string): ReportTemplates {
  const html = environment(dir, { strict: true });
  const text = environment(dir, { strict: true, noEscape: true });
  return {
    report: compileFile(html, dir, 'report.html.hbs', { strict: true }),
    emailHtml: compileFile(html, dir, 'email.html.hbs', { strict: true }),
    emailText: compileFile(text, dir, 'email.txt.hbs', { strict: true, noEscape: true }),
  };
}

type Env = typeof Handlebars;

function environment(dir: string, options: CompileOptions): Env {
  const env = Handlebars.create();
  env.registerHelper('join', (list: unknown, separator: unknown) => {
    if (!Array.isArray(list) || typeof separator !== 'string') throw new Error('join expects a list and a separator');
    return list.join(separator);
  });
  env.registerHelper('datetime', function (this: unknown, iso: unknown, helper: Handlebars.HelperOptions) {
    const timeZone = (helper.data as { root: { timeZone: string } }).root.timeZone;
    if (typeof iso !== 'string' || Number.isNaN(Date.parse(iso))) throw new Error(`datetime expects an ISO timestamp, got ${JSON.stringify(iso)}`);
    return formatInstant(iso, timeZone);
  });
  const partials = path.join(dir, 'partials');
  for (const file of fs.readdirSync(partials).filter((f) => f.endsWith('.hbs')).sort()) {
    env.registerPartial(path.basename(file, '.hbs'), compileFile(env, partials, file, options));
  }
  return env;
}

type CompileOptions = { strict: boolean; noEscape?: boolean };

function compileFile(env: Env, dir: string, file: string, options: CompileOptions): Template {
  const full = path.join(dir, file);
  try {
    const source = fs.readFileSync(full, 'utf8');
    // Handlebars parses lazily: without this a syntax error would surface at the first render.
    env.precompile(source, options);
    return env.compile(source, options);
  } catch (e) {
    throw new ReportError(`cannot compile template ${file}: ${messageOf(e)}`, { file: full }, { cause: e });
  }
}

/** "2026-11-23 07:00 UTC": the instant on the configured zone's wall clock. */
export function formatInstant(iso: string, timeZone: string): string {
  const w = wallClock(new Date(iso), timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)} ${timeZone}`;
}
