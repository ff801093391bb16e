/**
 * What the importer keeps of an OVAL 5 definitions document. Definitions come before the tests,
 * objects and states they refer to, so a streaming read must hold them until the end; everything
 * here is the compact subset that becomes advisories, not the whole document.
 */

/** A leaf of a definition's criteria tree. */
export interface CriterionNode {
  kind: 'criterion';
  testRef: string;
  /** Where it is, for errors: `line N`. */
  at: string;
}

export interface CriteriaNode {
  kind: 'criteria';
  operator: 'AND' | 'OR';
  children: (CriteriaNode | CriterionNode)[];
  at: string;
}

export interface OvalReference {
  source: string;
  refId: string;
  refUrl?: string;
}

export interface OvalCve {
  id: string;
  /** `score/vector` as Red Hat writes it, e.g. `6.1/CVSS:3.0/AV:N/…`. */
  cvss3?: string;
  cvss2?: string;
  href?: string;
}

/** `<advisory><affected><resolution state="…"><component>…` of Red Hat's unpatched CVE definitions. */
export interface OvalResolution {
  state: string;
  components: string[];
}

export interface OvalDefinition {
  id: string;
  class: string;
  title?: string;
  description?: string;
  references: OvalReference[];
  severity?: string;
  issued?: string;
  updated?: string;
  cves: OvalCve[];
  bugzillaUrls: string[];
  resolutions: OvalResolution[];
  criteria?: CriteriaNode;
  at: string;
}

/** A child element of an object or a state: `<red-def:evr operation="less than">0:1-1</red-def:evr>`. */
export interface OvalEntity {
  name: string;
  operation?: string;
  value: string;
}

export interface OvalTest {
  id: string;
  /** Local element name, e.g. `rpminfo_test`. */
  type: string;
  comment?: string;
  check?: string;
  checkExistence?: string;
  objectRef?: string;
  /** OVAL allows several states per test; Red Hat's tests have at most one, and more are refused when read. */
  stateRef?: string;
  at: string;
}

/** An object or a state: its element type and entities. */
export interface OvalItem {
  id: string;
  type: string;
  entities: OvalEntity[];
  at: string;
}

export interface OvalDocument {
  definitions: OvalDefinition[];
  tests: Map<string, OvalTest>;
  objects: Map<string, OvalItem>;
  states: Map<string, OvalItem>;
}
