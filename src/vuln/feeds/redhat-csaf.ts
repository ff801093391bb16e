import type { Readable } from 'node:stream';
import { z } from 'zod';
import { FeedError } from '../../errors';
import type { Advisory, AdvisoryState, Cvss, Severity } from '../advisory';
import { schemeFor } from '../versions';
import type { FeedFormat } from './feed-format';
import { checkShape } from './feed-shape';
import type { FeedContext } from './feed-format';
import { redHatSeverity } from './severity';

/**
 * Red Hat CSAF 2.0 documents: per-CVE VEX files (`csaf_vex`) and per-errata advisories
 * (`csaf_security_advisory`).
 *
 * A product id in `product_status` is a relationship "component X is part of platform P". The
 * platform's CPE gives the namespace: only mainstream RHEL (`cpe:/o:redhat:enterprise_linux:8`,
 * `cpe:/a:redhat:enterprise_linux:9::appstream`…) maps to `rhel:N`. Layered products (OpenShift,
 * Satellite, JBoss…) and EUS/AUS/E4S streams ship their own builds of the same names that
 * os-release cannot tell apart, so they are skipped and counted. The component's purl
 * (`pkg:rpm/redhat/curl@7.61.1-33.el8_9.5?arch=x86_64&epoch=1`) gives the rpm name and version.
 *
 * Products list binary rpms by name and source rpms with `arch=src`. Each binary becomes an
 * advisory on that binary name; each source rpm becomes an advisory on the source name with
 * `conditions.bySource`, since some documents (RHSA-2024:6163) list only the source rpm.
 *
 * Statuses of all products of one namespace and package are combined: a fix anywhere wins, with
 * the newest EVR (a mainstream image needs the newest minor release's fix, older streams' fixes
 * are lower); otherwise known_affected gives `will-not-fix` when every remediation says
 * `no_fix_planned` and `unfixed` otherwise (`none_available`, "Fix deferred"); under_investigation
 * is `unfixed`; known_not_affected alone is `not-affected`.
 * A VEX advisory's id is the CVE, with the errata of its vendor fixes as aliases; a security
 * advisory's id is the errata, with its CVEs as aliases.
 */

const product = z.object({
  name: z.string().optional(),
  product_id: z.string().min(1),
  product_identification_helper: z.object({ purl: z.string().optional(), cpe: z.string().optional() }).optional(),
});
type CsafProduct = z.infer<typeof product>;

interface CsafBranch {
  category: string;
  name: string;
  product?: CsafProduct | undefined;
  branches?: CsafBranch[] | undefined;
}
const branch: z.ZodType<CsafBranch> = z.lazy(() =>
  z.object({ category: z.string(), name: z.string(), product: product.optional(), branches: z.array(branch).optional() }),
);

const productIds = z.array(z.string());
const reference = z.object({ url: z.string(), category: z.string().optional() });
const note = z.object({ category: z.string(), text: z.string(), title: z.string().optional() });

const csafDocument = z.object({
  document: z.object({
    category: z.string(),
    csaf_version: z.string(),
    title: z.string().optional(),
    publisher: z.object({ name: z.string(), namespace: z.string() }),
    tracking: z.object({ id: z.string().min(1), current_release_date: z.string().optional(), initial_release_date: z.string().optional() }),
    aggregate_severity: z.object({ text: z.string() }).optional(),
    notes: z.array(note).optional(),
    references: z.array(reference).optional(),
  }),
  product_tree: z.object({
    branches: z.array(branch).optional(),
    full_product_names: z.array(product).optional(),
    relationships: z
      .array(
        z.object({
          category: z.string(),
          full_product_name: product,
          product_reference: z.string(),
          relates_to_product_reference: z.string(),
        }),
      )
      .optional(),
  }),
  vulnerabilities: z.array(
    z.object({
      cve: z.string().optional(),
      title: z.string().optional(),
      release_date: z.string().optional(),
      notes: z.array(note).optional(),
      references: z.array(reference).optional(),
      product_status: z
        .object({
          fixed: productIds.optional(),
          first_fixed: productIds.optional(),
          known_affected: productIds.optional(),
          known_not_affected: productIds.optional(),
          under_investigation: productIds.optional(),
        })
        .optional(),
      remediations: z
        .array(z.object({ category: z.string(), details: z.string().optional(), url: z.string().optional(), product_ids: productIds.optional() }))
        .optional(),
      threats: z.array(z.object({ category: z.string(), details: z.string(), product_ids: productIds.optional() })).optional(),
      scores: z
        .array(
          z.object({
            cvss_v3: z.object({ version: z.string(), vectorString: z.string(), baseScore: z.number() }).optional(),
            products: productIds,
          }),
        )
        .optional(),
    }),
  ),
});
type CsafDocument = z.infer<typeof csafDocument>;
type CsafVulnerability = CsafDocument['vulnerabilities'][number];

const RED_HAT_PUBLISHER = 'https://www.redhat.com';
const MAINSTREAM_RHEL_CPE = /^cpe:\/[ao]:redhat:enterprise_linux:(\d+)(?:[.:]|$)/;
const RPM_PURL = /^pkg:rpm\/redhat\/([^@?#]+)(?:@([^?#]+))?(?:\?([^#]*))?/;
const ERRATA_IN_URL = /\b(RH[SBE]A-\d{4}:\d+)\b/;
const COMPONENT_CATEGORIES = new Set(['default_component_of', 'optional_component_of']);
const SEVERITY_ORDER: Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Unknown'];

/** Where one product id of a status list sits: namespace, rpm and whether it is the source rpm. */
interface ProductRef {
  namespace: string;
  name: string;
  bySource: boolean;
  /** `[E:]V-R`, epoch only when not zero; absent for version-less products (`red_hat_enterprise_linux_8:curl`). */
  evr?: string;
}

type ProductLookup = (productId: string) => ProductRef | { skip: string };

function productLookup(tree: CsafDocument['product_tree']): ProductLookup {
  const products = new Map<string, CsafProduct>();
  const walk = (branches: CsafBranch[] | undefined): void => {
    for (const b of branches ?? []) {
      if (b.product) products.set(b.product.product_id, b.product);
      walk(b.branches);
    }
  };
  walk(tree.branches);
  for (const p of tree.full_product_names ?? []) products.set(p.product_id, p);
  const relationships = new Map(
    (tree.relationships ?? []).map((r) => [r.full_product_name.product_id, r] as const),
  );

  return (productId) => {
    const relationship = relationships.get(productId);
    if (!relationship) return { skip: 'CSAF product that is not a component of a platform' };
    if (!COMPONENT_CATEGORIES.has(relationship.category)) return { skip: `CSAF relationship ${relationship.category}` };
    const cpe = products.get(relationship.relates_to_product_reference)?.product_identification_helper?.cpe;
    const major = cpe === undefined ? undefined : MAINSTREAM_RHEL_CPE.exec(cpe)?.[1];
    if (!major) return { skip: `CSAF platform ${cpe ?? relationship.relates_to_product_reference} is not mainstream RHEL` };
    const purl = products.get(relationship.product_reference)?.product_identification_helper?.purl;
    const match = purl === undefined ? null : RPM_PURL.exec(purl);
    if (!match) return { skip: `CSAF component ${relationship.product_reference} has no Red Hat rpm purl` };
    const qualifiers = new URLSearchParams(match[3] ?? '');
    const ref: ProductRef = {
      namespace: `rhel:${major}`,
      name: decodeURIComponent(match[1] as string),
      bySource: qualifiers.get('arch') === 'src',
    };
    if (match[2] !== undefined) {
      const version = decodeURIComponent(match[2]);
      const epoch = qualifiers.get('epoch');
      ref.evr = epoch && !/^0+$/.test(epoch) ? `${epoch}:${version}` : version;
    }
    return ref;
  };
}

/** Everything one advisory is built from, gathered over the products of one namespace and package. */
interface Gathered {
  id: string;
  ref: ProductRef;
  fixed: string[];
  affected: AdvisoryState[];
  aliases: Set<string>;
  severities: string[];
  cvss: Map<string, Cvss>;
  references: Set<string>;
  vulnerability: CsafVulnerability;
}

function productsOf<T extends { product_ids?: string[] | undefined }>(entries: T[] | undefined, id: string): T[] {
  return (entries ?? []).filter((e) => e.product_ids?.includes(id));
}

function affectedState(vulnerability: CsafVulnerability, productId: string): AdvisoryState {
  const remediations = productsOf(vulnerability.remediations, productId).map((r) => r.category);
  const noFix = remediations.includes('no_fix_planned');
  const fixPossible = remediations.some((c) => c === 'none_available' || c === 'vendor_fix');
  return noFix && !fixPossible ? 'will-not-fix' : 'unfixed';
}

/** The gravest of the impact labels given; Unknown when there are none. */
function gravest(labels: string[]): { severity: Severity; vendorSeverity?: string } {
  let best: { severity: Severity; vendorSeverity?: string } | undefined;
  for (const label of labels) {
    const rating = redHatSeverity(label);
    if (!best || SEVERITY_ORDER.indexOf(rating.severity) < SEVERITY_ORDER.indexOf(best.severity)) best = rating;
  }
  return best ?? { severity: 'Unknown' };
}

function finish(g: Gathered, doc: CsafDocument, isVex: boolean, feed: string): Advisory {
  let state: AdvisoryState;
  let fixedVersion: string | undefined;
  if (g.fixed.length > 0) {
    state = 'fixed';
    const compare = schemeFor('rpm').compare;
    fixedVersion = g.fixed.reduce((max, v) => (compare(v, max) > 0 ? v : max));
  } else if (g.affected.length > 0) {
    state = g.affected.includes('unfixed') ? 'unfixed' : 'will-not-fix';
  } else {
    state = 'not-affected';
  }
  // A VEX rates each product; an errata has one rating of its own. Either falls back to the document's.
  const aggregate = doc.document.aggregate_severity?.text;
  const labels = isVex && g.severities.length > 0 ? g.severities : aggregate !== undefined ? [aggregate] : g.severities;
  const rating = gravest(labels);
  const notes = isVex ? g.vulnerability.notes : doc.document.notes;
  const description = notes?.find((n) => n.category === (isVex ? 'description' : 'general'))?.text;
  const title = isVex ? (g.vulnerability.title ?? doc.document.title) : doc.document.title;
  const published = isVex ? g.vulnerability.release_date : doc.document.tracking.initial_release_date;

  const advisory: Advisory = {
    id: g.id,
    aliases: [...g.aliases].filter((a) => a !== g.id).sort(),
    namespace: g.ref.namespace,
    ecosystem: 'rpm',
    package: g.ref.name,
    state,
    severity: rating.severity,
    references: [...g.references],
    feed,
  };
  if (fixedVersion !== undefined) advisory.fixedVersion = fixedVersion;
  if (rating.vendorSeverity !== undefined) advisory.vendorSeverity = rating.vendorSeverity;
  if (g.cvss.size > 0) advisory.cvss = [...g.cvss.values()].sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  if (title) advisory.title = title;
  if (description) advisory.description = description;
  if (published) advisory.published = published;
  if (doc.document.tracking.current_release_date) advisory.modified = doc.document.tracking.current_release_date;
  if (g.ref.bySource) advisory.conditions = { bySource: true };
  return advisory;
}

/** Red Hat's largest VEX files (kernel CVEs) are tens of megabytes; anything far beyond is not a CSAF document. */
const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

/** `$.vulnerabilities[0].cve`: where a value sits, for errors. */
function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return `$${path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${String(step)}`)).join('')}`;
}

/** `line L, column C` of a character offset, for JSON syntax errors. */
function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * Reads one CSAF document whole (one CVE or one errata: small enough to parse at once) and checks
 * the parts the importer uses for shape; errors name the JSON path or the line and column.
 */
async function readCsaf(input: Readable, file: string): Promise<CsafDocument> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_DOCUMENT_BYTES) throw new FeedError(`CSAF: document exceeds ${MAX_DOCUMENT_BYTES} bytes`, { file });
    chunks.push(bytes);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = (e as Error).message;
    const offset = /at position (\d+)/.exec(reason)?.[1];
    const where = offset === undefined ? `at the end (${lineAndColumn(text, text.length)})` : `at ${lineAndColumn(text, Number(offset))}`;
    throw new FeedError(`CSAF: malformed JSON ${where}: ${reason}`, { file }, { cause: e });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FeedError('CSAF: the document is not a JSON object', { file });
  }
  return checkShape(csafDocument, value, file, jsonPath);
}

export const redHatCsafFormat: FeedFormat = {
  name: 'redhat-csaf',
  detect(head: string): boolean {
    return /"csaf_version"\s*:\s*"2\./.test(head) && /"category"\s*:\s*"csaf_(?:vex|security_advisory)"/.test(head);
  },
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory> {
    return parseRedHatCsaf(input, context);
  },
};

async function* parseRedHatCsaf(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const { file } = context;
  const doc = await readCsaf(input, file);
  const { category, publisher } = doc.document;
  if (publisher.namespace !== RED_HAT_PUBLISHER) {
    throw new FeedError(`CSAF: $.document.publisher.namespace is ${publisher.namespace}, not Red Hat's ${RED_HAT_PUBLISHER}`, { file });
  }
  if (category !== 'csaf_vex' && category !== 'csaf_security_advisory') {
    throw new FeedError(`CSAF: $.document.category ${category} is neither csaf_vex nor csaf_security_advisory`, { file });
  }
  const isVex = category === 'csaf_vex';
  const lookup = productLookup(doc.product_tree);
  const selfReferences = (doc.document.references ?? []).filter((r) => r.category === 'self').map((r) => r.url);
  const gathered = new Map<string, Gathered>();

  doc.vulnerabilities.forEach((vulnerability, index) => {
    const cve = vulnerability.cve;
    if (isVex && !cve) throw new FeedError(`CSAF: ${jsonPath(['vulnerabilities', index, 'cve'])} is missing in a VEX document`, { file });
    const id = isVex ? (cve as string) : doc.document.tracking.id;
    const status = vulnerability.product_status ?? {};
    const entries: Array<[string, 'fixed' | 'affected' | 'investigating' | 'not-affected']> = [
      ...(status.fixed ?? []).map((p) => [p, 'fixed'] as [string, 'fixed']),
      ...(status.first_fixed ?? []).map((p) => [p, 'fixed'] as [string, 'fixed']),
      ...(status.known_affected ?? []).map((p) => [p, 'affected'] as [string, 'affected']),
      ...(status.under_investigation ?? []).map((p) => [p, 'investigating'] as [string, 'investigating']),
      ...(status.known_not_affected ?? []).map((p) => [p, 'not-affected'] as [string, 'not-affected']),
    ];
    for (const [productId, kind] of entries) {
      const ref = lookup(productId);
      if ('skip' in ref) {
        context.skipped?.add(ref.skip);
        continue;
      }
      const key = JSON.stringify([id, ref.namespace, ref.name, ref.bySource]);
      let g = gathered.get(key);
      if (!g) {
        g = {
          id,
          ref,
          fixed: [],
          affected: [],
          aliases: new Set(),
          severities: [],
          cvss: new Map(),
          references: new Set(isVex ? [] : selfReferences),
          vulnerability,
        };
        gathered.set(key, g);
      }
      if (cve) g.aliases.add(cve);
      for (const r of vulnerability.references ?? []) g.references.add(r.url);
      if (kind === 'fixed') {
        if (ref.evr === undefined) {
          throw new FeedError(`CSAF: fixed product ${productId} of ${id} has no version in its purl`, { file });
        }
        g.fixed.push(ref.evr);
      } else if (kind === 'affected') {
        g.affected.push(affectedState(vulnerability, productId));
      } else if (kind === 'investigating') {
        g.affected.push('unfixed');
      }
      for (const remediation of productsOf(vulnerability.remediations, productId)) {
        if (remediation.category !== 'vendor_fix' || !remediation.url) continue;
        g.references.add(remediation.url);
        const errata = ERRATA_IN_URL.exec(remediation.url)?.[1];
        if (errata) g.aliases.add(errata);
      }
      for (const threat of productsOf(vulnerability.threats, productId)) {
        if (threat.category === 'impact') g.severities.push(threat.details);
      }
      for (const score of vulnerability.scores ?? []) {
        if (!score.cvss_v3 || !score.products.includes(productId)) continue;
        const { version, vectorString, baseScore } = score.cvss_v3;
        g.cvss.set(vectorString, { version, vector: vectorString, score: baseScore });
      }
    }
  });

  for (const g of gathered.values()) yield finish(g, doc, isVex, context.feed);
}
