import { RegistryError } from '../errors';
import type { ImageConfigSummary } from '../inventory/types';

interface RawConfig {
  architecture?: unknown;
  os?: unknown;
  variant?: unknown;
  created?: unknown;
  config?: {
    User?: unknown;
    Labels?: unknown;
    Env?: unknown;
    Entrypoint?: unknown;
    Cmd?: unknown;
    ExposedPorts?: unknown;
    WorkingDir?: unknown;
  } | null;
}

/** Reads the parts of an OCI/Docker image config that policies look at (user, labels, age…). */
export function summarizeImageConfig(body: Buffer, context: { image: string; registry: string }): ImageConfigSummary {
  let raw: RawConfig;
  try {
    raw = JSON.parse(body.toString('utf8')) as RawConfig;
  } catch (e) {
    throw new RegistryError('manifest', `image config blob is not JSON: ${(e as Error).message}`, context);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RegistryError('manifest', 'image config blob is not a JSON object', context);
  }
  const c = raw.config && typeof raw.config === 'object' ? raw.config : {};
  const summary: ImageConfigSummary = {
    labels: stringRecord(c.Labels),
    env: stringArray(c.Env) ?? [],
    exposedPorts: c.ExposedPorts && typeof c.ExposedPorts === 'object' ? Object.keys(c.ExposedPorts).sort() : [],
  };
  if (typeof c.User === 'string') summary.user = c.User;
  if (typeof raw.created === 'string') summary.created = raw.created;
  if (typeof raw.architecture === 'string') summary.architecture = raw.architecture;
  if (typeof raw.os === 'string') summary.os = raw.os;
  if (typeof raw.variant === 'string') summary.variant = raw.variant;
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) summary.workingDir = c.WorkingDir;
  const entrypoint = stringArray(c.Entrypoint);
  if (entrypoint) summary.entrypoint = entrypoint;
  const cmd = stringArray(c.Cmd);
  if (cmd) summary.cmd = cmd;
  return summary;
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
