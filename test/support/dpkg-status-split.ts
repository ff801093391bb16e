/**
 * Splits a dpkg status file into its stanzas, keyed by package name, the way distroless images
 * store them (`var/lib/dpkg/status.d/<package>`, one stanza each).
 */
export function splitDpkgStatus(status: string, source: string): Map<string, string> {
  const stanzas = new Map<string, string>();
  for (const stanza of status.split(/\n{2,}/)) {
    if (stanza.trim() === '') continue;
    const name = /^Package:\s*(\S+)\s*$/m.exec(stanza)?.[1];
    if (!name) throw new Error(`${source}: stanza without a Package field: ${stanza.slice(0, 60)}`);
    if (stanzas.has(name)) throw new Error(`${source}: package ${name} appears twice`);
    stanzas.set(name, `${stanza.trimEnd()}\n`);
  }
  return stanzas;
}
