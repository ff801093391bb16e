import type { ImageReference } from './reference';

export type { ImageReference } from './reference';
export { parsePlatform, formatPlatform } from './platform';

/** How to reach one registry host and who to be there. */
export interface RegistryHostConfig {
  /** `127.0.0.1:5000`, `quay.io`, `docker.io`. */
  host: string;
  /**
   * Allow plain http: try https (without certificate verification) first, then http, as
   * docker's insecure-registries do. Loopback hosts behave this way unless set to false.
   */
  insecure?: boolean;
  /** https without certificate verification. */
  insecureSkipTLSVerify?: boolean;
  /** Extra CA bundle (PEM) trusted for this host. */
  caFile?: string;
  username?: string;
  password?: string;
  /** A ready bearer token, e.g. an OpenShift service-account token. */
  token?: string;
  /** Path of a docker config.json (`~` expanded): `auths[host].auth` or username/password. */
  dockerConfig?: string;
  requestsPerSecond?: number;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ResolvedImage {
  reference: ImageReference;
  /** Digest of the single-platform manifest the layers come from. */
  manifestDigest: string;
  /** Digest of the index (manifest list) the reference named, when it named one. */
  indexDigest?: string;
  /** Media type of the single-platform manifest. */
  mediaType: string;
  /** The index entry's platform; absent when the reference named a single manifest (its config tells). */
  platform?: Platform;
  config: Descriptor;
  layers: Descriptor[];
}
