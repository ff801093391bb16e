import type { Readable } from 'node:stream';
import type { Advisory } from '../advisory';
import type { FeedFormat } from './feed-format';
import type { FeedContext } from './feed-format';
import { definitionAdvisories } from './oval/definition-advisories';
import { readOvalDocument } from './oval/read-oval-document';
import { TestAtoms } from './oval/test-atoms';

/**
 * Red Hat OVAL 5.10 definitions: the v1 per-RHSA streams (com.redhat.rhsa-RHEL8.xml) and the v2
 * per-product streams, including the "including-unpatched" ones whose CVE definitions describe
 * flaws without a fix (the caller decompresses .bz2 files).
 *
 * Each definition's criteria are expanded into the ways they can be true; each way names one rpm
 * package in one release, `rhel:N` from its "Red Hat Enterprise Linux N is installed" test, and
 * becomes an advisory:
 * - "P is earlier than E:V-R" → state `fixed`, fixedVersion `V-R`, or `E:V-R` when E is not 0
 *   (rpm's own way of writing an EVR; the rpm comparator reads a missing epoch as 0);
 * - "P is installed" (v2 CVE definitions) → the definition's `<resolution state>` for P:
 *   Affected, Fix deferred, Under investigation → `unfixed`; Will not fix, Out of support scope
 *   → `will-not-fix`; no resolution → `unfixed`.
 * Tests that are not about versions are kept as advisory conditions, never dropped: the signing
 * key (`signedBy`), the architecture (`arch`), an enabled module stream (`moduleStream`) and a
 * running or next-boot kernel (`kernelBefore`). The id is the errata (RHSA-…) of a patch
 * definition or the CVE of a vulnerability definition, with the other ids as aliases.
 */

/** Red Hat's definition ids and generator name, within the first 64 KiB of any of its OVAL files. */
const RED_HAT_MARK = /oval:com\.redhat\.|Red Hat OVAL/;

export const redHatOvalFormat: FeedFormat = {
  name: 'redhat-oval',
  detect(head: string): boolean {
    return /<(?:[\w.-]+:)?oval_definitions[\s>]/.test(head) && RED_HAT_MARK.test(head);
  },
  parse(input: Readable, context: FeedContext): AsyncIterable<Advisory> {
    return parseRedHatOval(input, context);
  },
};

async function* parseRedHatOval(input: Readable, context: FeedContext): AsyncGenerator<Advisory> {
  const document = await readOvalDocument(input, context.file);
  const atoms = new TestAtoms(document, context.file);
  for (const definition of document.definitions) {
    const advisories = definitionAdvisories(definition, atoms, context.file, context.feed);
    if (advisories.length === 0) context.skipped?.add('OVAL definition naming no package of a Red Hat Enterprise Linux release');
    yield* advisories;
  }
}
