import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicyFile } from '../../src/config/policy-file';
import { ConfigError } from '../../src/errors';

describe('check --policy FILE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iw-policy-file-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const failure = (p: string): ConfigError => {
    try {
      loadPolicyFile(p);
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error('expected a ConfigError');
  };

  it('reads policies and the ignore list in the config syntax', () => {
    const loaded = loadPolicyFile(file('ok.yaml', 'policies:\n  profile: hardened\nignore:\n  - { id: CVE-2024-0727, reason: deferred }\n'));
    expect(loaded.policies.profile).toBe('hardened');
    expect(loaded.ignore).toEqual([{ id: 'CVE-2024-0727', reason: 'deferred' }]);
  });

  it('refuses an empty or comment-only file rather than gating on the defaults', () => {
    expect(failure(file('empty.yaml', '')).message).toContain('a policy file must be a mapping with policies');
    expect(failure(file('comments.yaml', '# truncated\n')).context.key).toBe('policies');
  });

  it('refuses keys other than policies and ignore, and a file without policies', () => {
    expect(failure(file('extra.yaml', 'policies: {}\nsources: []\n')).message).toContain('sources: a policy file holds only policies and ignore');
    expect(failure(file('no-policies.yaml', 'ignore: []\n')).message).toContain('policies: missing');
  });
});
