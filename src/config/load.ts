import fs from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { substituteEnv } from './env';
import { formatPath } from './path';
import { configSchema, type Config } from './schema';

export const DEFAULT_CONFIG_PATH = './config.yaml';

export interface LoadOptions {
  /** Set when the user named a file: then a missing file is an error, not the defaults. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or undefined when the built-in defaults are in use. */
  source?: string;
}

/** Reads, substitutes `${ENV}` into, and validates a config file; no file at all means the defaults. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const file = options.path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (options.path === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { config: parseConfig({}, options.env) };
    }
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`, { file });
  }
  return { config: parseConfigText(text, file, options.env), source: file };
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const pos = err.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new ConfigError(`${where}: invalid YAML: ${err.message.split('\n')[0]}`, { file });
  }
  try {
    return parseConfig(doc.toJS() ?? {}, env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${file}: ${e.message}`, { ...e.context, file });
    throw e;
  }
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('the config must be a mapping of keys to values');
  }
  const substituted = substituteEnv(raw, env);
  const result = configSchema.safeParse(substituted, { reportInput: true });
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw new ConfigError(lines.join('; '), { key: formatPath(result.error.issues[0].path) });
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key`).join('; ');
  }
  if (issue.code === 'invalid_type') {
    return `${formatPath(issue.path)}: expected ${issue.expected}${issue.input === undefined ? ' (missing)' : `, got ${typeName(issue.input)}`}`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    return `${formatPath([...issue.path, String(issue.discriminator)])}: ${issue.message}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
