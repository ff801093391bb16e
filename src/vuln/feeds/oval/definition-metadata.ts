import { FeedError } from '../../../errors';
import type { Advisory, Cvss } from '../../advisory';
import { redHatSeverity } from '../severity';
import type { OvalDefinition } from './model';

/** What every advisory of one definition shares, whatever package it is about. */
export type DefinitionMetadata = Pick<
  Advisory,
  'id' | 'aliases' | 'severity' | 'vendorSeverity' | 'cvss' | 'title' | 'description' | 'references' | 'published' | 'modified'
>;

// Older feeds suffix the errata id with its revision (RHSA-2011:0169-01); the errata is the same.
const ERRATA_ID = /^(RH[SBE]A-\d{4}:\d+)(?:-\d+)?$/;
const ERRATA_IN_TITLE = /^(RH[SBE]A-\d{4}:\d+)\b/;
const CVE_ID = /^CVE-\d{4}-\d+$/;
const CVE_IN_TITLE = /^(CVE-\d{4}-\d+)\b/;
/** Red Hat's `score/vector`: `6.1/CVSS:3.0/AV:N/…` (v3) or `4.3/AV:N/AC:M/…` (v2). */
const CVSS_ATTRIBUTE = /^(\d+(?:\.\d+)?)\/((CVSS:(3\.[01])\/)?[A-Za-z]+:[A-Za-z]+(?:\/[A-Za-z]+:[A-Za-z]+)*)$/;

/**
 * The advisory id a definition is known by: the errata (RHSA/RHBA/RHEA) of a patch definition,
 * the CVE of a vulnerability definition, from its references or else its title. A definition
 * naming neither keeps its OVAL id.
 */
function advisoryId(definition: OvalDefinition): string {
  const wanted = definition.class === 'vulnerability' ? ['CVE'] : ['RHSA', 'RHBA', 'RHEA'];
  for (const reference of definition.references) {
    if (!wanted.includes(reference.source)) continue;
    const errata = ERRATA_ID.exec(reference.refId)?.[1];
    if (errata) return errata;
    if (CVE_ID.test(reference.refId)) return reference.refId;
  }
  const title = definition.title ?? '';
  return ERRATA_IN_TITLE.exec(title)?.[1] ?? CVE_IN_TITLE.exec(title)?.[1] ?? definition.id;
}

function cvssOf(attribute: string, definition: OvalDefinition, file: string): Cvss {
  const match = CVSS_ATTRIBUTE.exec(attribute.trim());
  if (!match) {
    throw new FeedError(`OVAL: definition ${definition.id} (${definition.at}): CVSS "${attribute}" is not score/vector`, { file });
  }
  return { version: match[4] ?? '2.0', score: Number(match[1]), vector: match[2] as string };
}

export function definitionMetadata(definition: OvalDefinition, file: string): DefinitionMetadata {
  const id = advisoryId(definition);
  const aliases = new Set<string>();
  for (const reference of definition.references) {
    const errata = ERRATA_ID.exec(reference.refId)?.[1];
    if (errata) aliases.add(errata);
    else if (CVE_ID.test(reference.refId)) aliases.add(reference.refId);
  }
  for (const cve of definition.cves) if (CVE_ID.test(cve.id)) aliases.add(cve.id);
  aliases.delete(id);

  const cvss = new Map<string, Cvss>();
  for (const cve of definition.cves) {
    for (const attribute of [cve.cvss3, cve.cvss2]) {
      if (attribute === undefined) continue;
      const entry = cvssOf(attribute, definition, file);
      cvss.set(`${entry.version} ${entry.vector}`, entry);
    }
  }

  const references = new Set<string>();
  for (const reference of definition.references) if (reference.refUrl) references.add(reference.refUrl);
  for (const cve of definition.cves) if (cve.href) references.add(cve.href);
  for (const url of definition.bugzillaUrls) references.add(url);

  const rating = definition.severity ? redHatSeverity(definition.severity) : { severity: 'Unknown' as const };
  const metadata: DefinitionMetadata = {
    id,
    aliases: [...aliases].sort(),
    severity: rating.severity,
    references: [...references],
  };
  if (rating.vendorSeverity) metadata.vendorSeverity = rating.vendorSeverity;
  // Highest score first: an RHSA fixes several CVEs, and consumers show the first.
  if (cvss.size > 0) metadata.cvss = [...cvss.values()].sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  if (definition.title) metadata.title = definition.title;
  if (definition.description) metadata.description = definition.description;
  if (definition.issued) metadata.published = definition.issued;
  if (definition.updated) metadata.modified = definition.updated;
  return metadata;
}
