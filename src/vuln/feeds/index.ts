import { alpineSecdbFormat } from './alpine-secdb';
import { debianTrackerFormat } from './debian-tracker';
import type { FeedFormat } from './feed-format';
import { osvFormat } from './osv';
import { redHatCsafFormat } from './redhat-csaf';
import { redHatOvalFormat } from './redhat-oval';

/**
 * Every feed format, in the order detection asks them: the formats with the most specific
 * signatures first, OSV (any JSON record with an id) last.
 */
export const feedFormats: readonly FeedFormat[] = [debianTrackerFormat, alpineSecdbFormat, redHatOvalFormat, redHatCsafFormat, osvFormat];
