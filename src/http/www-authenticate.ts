/**
 * RFC 7235 `WWW-Authenticate` parsing. Registries send several challenges in one header
 * (`Basic realm="x", Bearer realm="y",scope="repository:a:pull,push"`), and scope values carry
 * commas inside quotes, so splitting on commas is not enough.
 */
export interface AuthChallenge {
  /** Lower-cased scheme, e.g. `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipSpace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipSpaceAndCommas(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }
  quoted(): string {
    this.pos++; // opening quote
    let value = '';
    while (!this.done) {
      const c = this.text[this.pos++];
      if (c === '"') return value;
      if (c === '\\' && !this.done) value += this.text[this.pos++];
      else value += c;
    }
    return value; // unterminated: keep what was there rather than drop the challenge
  }
}

/** A token followed by `=` and a value (not by `==` padding) starts an auth-param. */
function atParam(cur: Cursor): boolean {
  const save = cur.pos;
  const name = cur.token();
  cur.skipSpace();
  const isParam = name !== '' && cur.peek() === '=' && cur.text[cur.pos + 1] !== '=';
  cur.pos = save;
  return isParam;
}

function readParams(cur: Cursor, challenge: AuthChallenge): void {
  for (;;) {
    cur.skipSpaceAndCommas();
    if (cur.done || !atParam(cur)) return;
    const name = cur.token().toLowerCase();
    cur.skipSpace();
    cur.pos++; // '='
    cur.skipSpace();
    challenge.params[name] = cur.peek() === '"' ? cur.quoted() : cur.token();
  }
}

/** Parses every challenge in the given header values (a header may be repeated). */
export function parseWwwAuthenticate(values: string | readonly string[] | undefined): AuthChallenge[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  const challenges: AuthChallenge[] = [];
  for (const value of list) {
    const cur = new Cursor(value);
    for (;;) {
      cur.skipSpaceAndCommas();
      if (cur.done) break;
      const scheme = cur.token();
      if (scheme === '') {
        cur.pos++; // stray character: skip it and look for the next challenge
        continue;
      }
      const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
      challenges.push(challenge);
      cur.skipSpace();
      const rest = value.slice(cur.pos);
      const t68 = TOKEN68.exec(rest);
      if (t68 && !atParam(cur) && /^\s*(,|$)/.test(rest.slice(t68[0].length))) {
        challenge.token68 = t68[0];
        cur.pos += t68[0].length;
        continue;
      }
      readParams(cur, challenge);
    }
  }
  return challenges;
}
