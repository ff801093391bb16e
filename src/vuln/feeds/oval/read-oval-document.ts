import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { FeedError } from '../../../errors';
import type {
  CriteriaNode,
  CriterionNode,
  OvalCve,
  OvalDefinition,
  OvalDocument,
  OvalEntity,
  OvalItem,
  OvalTest,
} from './model';

const OVAL_DEFINITIONS_NS = 'http://oval.mitre.org/XMLSchema/oval-definitions-5';

type Section = 'definitions' | 'tests' | 'objects' | 'states' | 'other';

/**
 * A copy of `value` that does not keep the parser's input chunk alive. The parser hands out
 * slices of each 64 KiB chunk, and V8 keeps a sliced string's whole parent: storing the slices
 * of a 100 MB feed would keep the whole feed in memory. Concatenating builds a new flat string.
 */
function detach(value: string): string {
  return (' ' + value).slice(1);
}

function attribute(tag: SaxesTagNS, name: string): string | undefined {
  const value = tag.attributes[name]?.value;
  return value === undefined ? undefined : detach(value);
}

/**
 * Reads an OVAL definitions document from a stream with a SAX parser, keeping only what
 * advisories are made of. Constructs the importer cannot represent faithfully (negated criteria,
 * ONE/XOR operators, extended definitions) fail here, naming file, definition and line, rather
 * than being read as something they are not.
 */
export async function readOvalDocument(input: Readable, file: string): Promise<OvalDocument> {
  const parser = new SaxesParser({ xmlns: true, position: true, fileName: file });
  const document: OvalDocument = { definitions: [], tests: new Map(), objects: new Map(), states: new Map() };
  // Element names and enumerated values repeat thousands of times: one detached copy of each.
  const copies = new Map<string, string>();
  const intern = (value: string): string => {
    let copy = copies.get(value);
    if (copy === undefined) {
      copy = detach(value);
      copies.set(copy, copy);
    }
    return copy;
  };
  /** An attribute drawn from a small vocabulary (`check`, `operation`, `source`…). */
  const keyword = (tag: SaxesTagNS, name: string): string | undefined => {
    const value = tag.attributes[name]?.value;
    return value === undefined ? undefined : intern(value);
  };

  const path: string[] = [];
  let section: Section = 'other';

  let definition: OvalDefinition | undefined;
  const criteriaStack: CriteriaNode[] = [];
  let test: OvalTest | undefined;
  let item: OvalItem | undefined;

  // Text of the leaf element being read, and where it goes when the element closes.
  let text: string | undefined;
  let onText: ((value: string) => void) | undefined;
  const capture = (sink: (value: string) => void): void => {
    text = '';
    onText = sink;
  };

  const line = (): string => `line ${parser.line}`;
  const fail = (message: string): never => {
    throw new FeedError(`OVAL: ${message}`, { file });
  };
  const inDefinition = (name: string): string => `definition ${definition?.id ?? '?'}: ${name}`;

  const openDefinitionChild = (tag: SaxesTagNS, depth: number): void => {
    const current = definition as OvalDefinition;
    const parent = path[depth - 1];
    const local = tag.local;
    if (local === 'criteria' || local === 'criterion' || local === 'extend_definition') {
      const at = line();
      if (attribute(tag, 'negate') === 'true') fail(`${inDefinition(`negated <${local}> at ${at}`)} is not supported`);
      if (local === 'extend_definition') fail(`${inDefinition(`<extend_definition> at ${at}`)} is not supported`);
      const container = criteriaStack[criteriaStack.length - 1];
      if (local === 'criterion') {
        if (!container) fail(`${inDefinition(`<criterion> at ${at}`)} is outside any <criteria>`);
        const testRef = attribute(tag, 'test_ref');
        if (!testRef) fail(`${inDefinition(`<criterion> at ${at}`)} has no test_ref`);
        const node: CriterionNode = { kind: 'criterion', testRef: testRef as string, at };
        (container as CriteriaNode).children.push(node);
        return;
      }
      const operator = attribute(tag, 'operator') ?? 'AND';
      if (operator !== 'AND' && operator !== 'OR') fail(`${inDefinition(`<criteria operator="${operator}"> at ${at}`)} is not supported`);
      const node: CriteriaNode = { kind: 'criteria', operator: operator as 'AND' | 'OR', children: [], at };
      if (container) container.children.push(node);
      else if (current.criteria) fail(`${inDefinition(`second top-level <criteria> at ${at}`)}`);
      else current.criteria = node;
      criteriaStack.push(node);
      return;
    }
    if (parent === 'metadata') {
      if (local === 'title') capture((v) => (current.title = v.trim()));
      else if (local === 'description') capture((v) => (current.description = v.trim()));
      else if (local === 'reference') {
        const source = keyword(tag, 'source') ?? '';
        const refId = attribute(tag, 'ref_id') ?? '';
        const refUrl = attribute(tag, 'ref_url');
        current.references.push(refUrl ? { source, refId, refUrl } : { source, refId });
      }
      return;
    }
    if (parent === 'advisory') {
      if (local === 'severity') capture((v) => (current.severity = v.trim()));
      else if (local === 'issued') {
        const date = attribute(tag, 'date');
        if (date) current.issued = date;
      } else if (local === 'updated') {
        const date = attribute(tag, 'date');
        if (date) current.updated = date;
      } else if (local === 'cve') {
        const entry: OvalCve = { id: '' };
        const cvss3 = attribute(tag, 'cvss3');
        const cvss2 = attribute(tag, 'cvss2');
        const href = attribute(tag, 'href');
        if (cvss3) entry.cvss3 = cvss3;
        if (cvss2) entry.cvss2 = cvss2;
        if (href) entry.href = href;
        capture((v) => {
          entry.id = v.trim();
          current.cves.push(entry);
        });
      } else if (local === 'bugzilla') {
        const href = attribute(tag, 'href');
        if (href) current.bugzillaUrls.push(href);
      }
      return;
    }
    if (parent === 'affected' && path[depth - 2] === 'advisory' && local === 'resolution') {
      current.resolutions.push({ state: keyword(tag, 'state') ?? '', components: [] });
      return;
    }
    if (parent === 'resolution' && local === 'component') {
      const resolution = current.resolutions[current.resolutions.length - 1];
      if (resolution) capture((v) => resolution.components.push(v.trim()));
    }
  };

  parser.on('opentag', (tag) => {
    const depth = path.length;
    path.push(tag.local);
    if (depth === 0) {
      if (tag.local !== 'oval_definitions' || tag.uri !== OVAL_DEFINITIONS_NS) {
        fail(`root element <${tag.name}> (${tag.uri || 'no namespace'}) is not an OVAL 5 <oval_definitions>`);
      }
      return;
    }
    if (depth === 1) {
      section = ['definitions', 'tests', 'objects', 'states'].includes(tag.local) ? (tag.local as Section) : 'other';
      return;
    }
    const at = line();
    const id = attribute(tag, 'id');
    switch (section) {
      case 'definitions':
        if (depth === 2) {
          if (tag.local !== 'definition') return;
          if (!id) fail(`<definition> at ${at} has no id`);
          definition = {
            id: id as string,
            class: keyword(tag, 'class') ?? '',
            references: [],
            cves: [],
            bugzillaUrls: [],
            resolutions: [],
            at,
          };
        } else if (definition) {
          openDefinitionChild(tag, depth);
        }
        return;
      case 'tests':
        if (depth === 2) {
          if (!id) fail(`test <${tag.local}> at ${at} has no id`);
          test = { id: id as string, type: intern(tag.local), at };
          const comment = attribute(tag, 'comment');
          const check = keyword(tag, 'check');
          const checkExistence = keyword(tag, 'check_existence');
          if (comment) test.comment = comment;
          if (check) test.check = check;
          if (checkExistence) test.checkExistence = checkExistence;
        } else if (depth === 3 && test) {
          if (tag.local === 'object') {
            const ref = attribute(tag, 'object_ref');
            if (ref) test.objectRef = ref;
          } else if (tag.local === 'state') {
            const ref = attribute(tag, 'state_ref');
            if (test.stateRef !== undefined) fail(`test ${test.id} (${test.at}) has more than one state, which is not supported`);
            if (ref) test.stateRef = ref;
          }
        }
        return;
      case 'objects':
      case 'states':
        if (depth === 2) {
          if (!id) fail(`<${tag.local}> at ${at} has no id`);
          item = { id: id as string, type: intern(tag.local), entities: [], at };
        } else if (depth === 3 && item) {
          const current = item;
          const operation = keyword(tag, 'operation');
          const next: OvalEntity = { name: intern(tag.local), value: '' };
          if (operation) next.operation = operation;
          capture((v) => {
            next.value = v.trim();
            current.entities.push(next);
          });
        }
        return;
      default:
        return;
    }
  });

  const appendText = (chunk: string): void => {
    if (text !== undefined) text += chunk;
  };
  parser.on('text', appendText);
  parser.on('cdata', appendText);

  parser.on('closetag', (tag) => {
    const depth = path.length - 1;
    path.pop();
    if (onText && text !== undefined) {
      const sink = onText;
      const value = detach(text);
      text = undefined;
      onText = undefined;
      sink(value);
    }
    if (section === 'definitions') {
      if (definition && tag.local === 'criteria') criteriaStack.pop();
      if (depth === 2 && definition) {
        document.definitions.push(definition);
        definition = undefined;
        criteriaStack.length = 0;
      }
    } else if (section === 'tests' && depth === 2 && test) {
      document.tests.set(test.id, test);
      test = undefined;
    } else if ((section === 'objects' || section === 'states') && depth === 2 && item) {
      (section === 'objects' ? document.objects : document.states).set(item.id, item);
      item = undefined;
    }
    if (depth === 1) section = 'other';
  });

  const run = (step: () => void): void => {
    try {
      step();
    } catch (e) {
      if (e instanceof FeedError) throw e;
      throw new FeedError(`OVAL: malformed XML: ${(e as Error).message}`, { file }, { cause: e });
    }
  };

  const decoder = new StringDecoder('utf8');
  let first = true;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let piece = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (first && piece.length > 0) {
      // A UTF-8 byte order mark is not part of the document.
      if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      first = false;
    }
    run(() => parser.write(piece));
  }
  run(() => {
    parser.write(decoder.end());
    parser.close();
  });
  return document;
}
