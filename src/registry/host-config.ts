import { isDockerHub } from './reference';
import type { ImageReference } from './reference';
import type { RegistryHostConfig } from './types';

/** Docker Hub's API lives on another host than its image names say. */
const DOCKER_HUB_API = 'registry-1.docker.io';

/** Compares config hosts written as `https://Quay.io/` and image-reference hosts alike. */
function normalizeHost(host: string): string {
  const bare = host.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  return isDockerHub(bare) ? 'docker.io' : bare;
}

/** The configured settings for the reference's registry, or defaults when none match. */
export function registryHostFor(ref: ImageReference, configs: readonly RegistryHostConfig[]): RegistryHostConfig {
  const wanted = normalizeHost(ref.registry);
  return configs.find((c) => normalizeHost(c.host) === wanted) ?? { host: ref.registry };
}

/** The host[:port] the v2 API is served from. */
export function apiHost(host: string): string {
  const bare = normalizeHost(host);
  return bare === 'docker.io' ? DOCKER_HUB_API : bare;
}

/** 127.0.0.0/8, localhost and [::1], which docker treats as insecure registries by default. */
export function isLoopbackHost(host: string): boolean {
  const hostname = new URL(`http://${normalizeHost(host)}`).hostname;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Docker's rule: explicit `insecure`, else insecure when loopback. */
export function allowsPlainHttp(config: RegistryHostConfig): boolean {
  return config.insecure ?? isLoopbackHost(config.host);
}
