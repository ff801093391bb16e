import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors';
import { parseConfigText } from './load';
import type { Config } from './schema';

const POLICY_FILE_KEYS = new Set(['policies', 'ignore']);

/**
 * `check --policy FILE`: a file holding only `policies:` (and optionally `ignore:`) in the
 * config's own syntax, validated by the same schema, so a CI job can gate on a policy set
 * without a full config. Errors name the file and the exact key.
 */
export function loadPolicyFile(file: string): Pick<Config, 'policies' | 'ignore'> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read policy file ${file}: ${(e as Error).message}`, { file });
  }
  const raw: unknown = parseDocument(text).toJS();
  // An empty or truncated file must not gate on the built-in defaults without saying so.
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: a policy file must be a mapping with policies (and optionally ignore)`, { file, key: 'policies' });
  }
  const extra = Object.keys(raw).find((k) => !POLICY_FILE_KEYS.has(k));
  if (extra !== undefined) throw new ConfigError(`${file}: ${extra}: a policy file holds only policies and ignore`, { file, key: extra });
  if (!('policies' in raw)) throw new ConfigError(`${file}: policies: missing: a policy file must define policies`, { file, key: 'policies' });
  const { policies, ignore } = parseConfigText(text, file);
  return { policies, ignore };
}
