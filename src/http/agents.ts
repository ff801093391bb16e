import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { HostProfile } from './host-profile';

const MAX_SOCKETS_PER_HOST = 8;

/**
 * One keep-alive agent per origin, built from that host's TLS settings, so a CA file or
 * skip-verify for one registry never leaks to a storage host it redirects to.
 */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  get(url: URL, profile: HostProfile | undefined): http.Agent {
    const key = url.origin;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = url.protocol === 'https:' ? httpsAgent(profile) : new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Drops the agents of a host whose profile changed, so later requests use its new TLS settings. */
  forget(host: string): void {
    for (const [origin, agent] of this.agents) {
      if (new URL(origin).host === host || new URL(origin).hostname === host) {
        agent.destroy();
        this.agents.delete(origin);
      }
    }
  }

  destroyAll(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

function httpsAgent(profile: HostProfile | undefined): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets: MAX_SOCKETS_PER_HOST,
    // Node's `ca` replaces the bundled roots; a registry's CA file is meant to add to them.
    ca: profile?.ca ? [...tls.rootCertificates, profile.ca] : undefined,
    rejectUnauthorized: profile?.rejectUnauthorized ?? true,
  });
}
