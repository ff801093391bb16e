import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import type { ErrorObject } from 'ajv';

const SCHEMA = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;

// RFC 3986: the characters a URI may hold, and a scheme; a relative reference's first segment has no colon.
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]]|%[0-9A-Fa-f]{2})*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const isUri = (s: string): boolean => URI_CHARACTERS.test(s) && SCHEME.test(s);
/** RFC 3986 URI-reference, as the schema's `uri-reference` format asks. */
export const isUriReference = (s: string): boolean => URI_CHARACTERS.test(s) && (SCHEME.test(s) || !/^[^/?#]*:/.test(s));

// The schema's language pattern has a stray "]" that only a non-Unicode RegExp accepts.
const ajv = new Ajv({ allErrors: true, unicodeRegExp: false });
ajv.addFormat('uri', isUri);
ajv.addFormat('uri-reference', isUriReference);
ajv.addFormat('date-time', (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(SCHEMA);

/** Validates a log against the official SARIF 2.1.0 schema (test/fixtures/sarif); returns the errors, none when valid. */
export function sarifSchemaErrors(log: unknown): ErrorObject[] {
  return validate(log) ? [] : [...(validate.errors ?? [{ instancePath: '', message: 'invalid' } as ErrorObject])];
}
