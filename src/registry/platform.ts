import { ConfigError } from '../errors';
import type { Descriptor, Platform } from './types';

/** Architecture names some tools write, mapped to the GOARCH names indexes use. */
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** `linux/arm64/v8` → {os, architecture, variant}. Throws ConfigError naming the bad text. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || variant === '') {
    throw new ConfigError(`invalid platform "${text}": expected os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * containerd's normalization: arm64 has only one variant worth naming (v8), so "arm64" and
 * "arm64/v8" are the same platform; 32-bit arm without a variant means v7.
 */
function normalize(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'arm64' && (variant === undefined || variant === '8' || variant === 'v8')) variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && /^\d$/.test(variant ?? '')) variant = `v${variant}`;
  return { os: p.os.toLowerCase(), architecture, variant };
}

export function platformMatches(wanted: Platform, offered: Platform): boolean {
  const w = normalize(wanted);
  const o = normalize(offered);
  return w.os === o.os && w.architecture === o.architecture && (w.variant === undefined || w.variant === o.variant);
}

/**
 * The index entry for `wanted`. With no variant asked for, an entry without a variant is
 * preferred over variants of the same architecture (amd64 vs amd64/v3 builds).
 */
export function selectPlatform(entries: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  const matching = entries.filter((d) => d.platform !== undefined && platformMatches(wanted, d.platform));
  const exact = matching.find((d) => d.platform && normalize(d.platform).variant === normalize(wanted).variant);
  return exact ?? matching[0];
}
