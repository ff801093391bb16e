import { LAYER_MTIME } from './layer-entries';

export interface ImageConfigSpec {
  architecture?: string;
  os?: string;
  variant?: string;
  user?: string;
  labels?: Record<string, string>;
  env?: string[];
  cmd?: string[];
  entrypoint?: string[];
  workingDir?: string;
  exposedPorts?: string[];
  created?: string;
}

/**
 * The image configuration JSON (shared by Docker and OCI). `diffIds` must list the uncompressed
 * digest of every layer, in order. Keys are written in a fixed order so digests are stable.
 */
export function buildImageConfig(spec: ImageConfigSpec, diffIds: readonly string[]): Buffer {
  const config: Record<string, unknown> = {
    Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  };
  if (spec.user !== undefined) config.User = spec.user;
  if (spec.entrypoint) config.Entrypoint = spec.entrypoint;
  config.Cmd = spec.cmd ?? ['/bin/sh'];
  if (spec.workingDir) config.WorkingDir = spec.workingDir;
  if (spec.exposedPorts) config.ExposedPorts = Object.fromEntries(spec.exposedPorts.map((p) => [p, {}]));
  if (spec.labels) config.Labels = spec.labels;
  const image: Record<string, unknown> = {
    created: spec.created ?? LAYER_MTIME.toISOString(),
    architecture: spec.architecture ?? 'amd64',
    os: spec.os ?? 'linux',
  };
  if (spec.variant) image.variant = spec.variant;
  image.config = config;
  image.rootfs = { type: 'layers', diff_ids: diffIds };
  return Buffer.from(JSON.stringify(image));
}
