import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { AnalyzerError, LayerError, RegistryError } from '../../src/errors';
import type { Analyzer } from '../../src/scan/analyzers/analyzer';
import { osReleaseAnalyzer } from '../../src/scan/analyzers/os-release';
import { analyzeLayer, type LayerAnalysis } from '../../src/scan/layer-analysis';
import { mergeLayers } from '../../src/scan/merge-layers';

type TarItem = { name: string; data?: string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string };

/** Records what it was given, so tests see exactly which files the reader selected. */
const listAnalyzer: Analyzer = {
  name: 'list',
  version: 1,
  wants: (p) => p === 'var/lib/pkgs' || p.startsWith('var/lib/pkgs.d/') || p === 'etc/os-release' || p === 'usr/lib/os-release',
  parse: ({ path, data }) => {
    const text = data.toString('utf8');
    if (text.startsWith('GARBAGE')) throw new AnalyzerError(`list: ${path} is garbage`, { file: path });
    if (path.endsWith('os-release')) return { os: { id: text.trim(), version: '1', rank: path.startsWith('etc/') ? 0 : 1 } };
    const packages = text
      .split('\n')
      .filter(Boolean)
      .map((name) => ({ ecosystem: 'apk' as const, name, version: '1.0' }));
    return { packageDb: { ecosystem: 'apk', format: 'list', packages } };
  },
};

async function tarOf(items: TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const item of items) {
    const type = item.type ?? 'file';
    if (type === 'file') pack.entry({ name: item.name }, item.data ?? '');
    else pack.entry({ name: item.name, type, linkname: item.linkname });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

function analyze(blob: Buffer, maxFileBytes = 1024 * 1024): Promise<LayerAnalysis> {
  return analyzeLayer(Readable.from([blob.subarray(0, 3), blob.subarray(3)]), { analyzers: [listAnalyzer], maxFileBytes });
}

const names = (inv: { packages: { name: string }[] }) => inv.packages.map((p) => p.name);

describe('layer analysis', () => {
  test('gzip, zstd and plain tar give the same selection, with paths normalized', async () => {
    const raw = await tarOf([
      { name: './etc/os-release', data: 'alpine' },
      { name: '/var/lib/pkgs', data: 'musl\nbusybox\n' },
      { name: 'usr/bin/unrelated', data: 'x'.repeat(10000) },
      { name: 'var/lib/./other/../pkgs.d/extra', data: 'zlib\n' },
    ]);
    const zstd = spawnSync('zstd', ['-q', '-c'], { input: raw });
    expect(zstd.status).toBe(0);
    const results = await Promise.all([analyze(raw), analyze(zlib.gzipSync(raw)), analyze(zstd.stdout)]);
    expect(results.map((r) => r.compression)).toEqual(['none', 'gzip', 'zstd']);
    for (const r of results) {
      expect(r.entries.map((e) => e.path).sort()).toEqual(['etc/os-release', 'var/lib/pkgs', 'var/lib/pkgs.d/extra']);
    }
    expect(names(mergeLayers([{ digest: 'sha256:a', analysis: results[1] }]))).toEqual(['busybox', 'musl', 'zlib']);
  });

  test('an entry that climbs out of the root is refused, naming it', async () => {
    const blob = zlib.gzipSync(await tarOf([{ name: '../../var/lib/pkgs', data: 'evil\n' }]));
    await expect(analyze(blob)).rejects.toThrow(LayerError);
    await expect(analyze(blob)).rejects.toThrow('tar entry escapes the image root: "../../var/lib/pkgs"');
  });

  test('a hard link that climbs out of the root is refused', async () => {
    const blob = await tarOf([{ name: 'var/lib/pkgs', type: 'link', linkname: '../../etc/shadow' }]);
    await expect(analyze(blob)).rejects.toThrow('tar hard link escapes the image root');
  });

  test('corrupt gzip is a LayerError, not an empty layer', async () => {
    const good = zlib.gzipSync(await tarOf([{ name: 'var/lib/pkgs', data: 'musl\n' }]));
    const bad = Buffer.concat([good.subarray(0, 10), Buffer.alloc(200, 0x5a)]);
    await expect(analyze(bad)).rejects.toThrow(/corrupt gzip stream/);
  });

  test('an empty blob is a LayerError, not an empty layer', async () => {
    await expect(analyze(Buffer.alloc(0))).rejects.toThrow('layer blob is empty');
  });

  test('progress counts every blob byte, the sniffed head included', async () => {
    const blob = zlib.gzipSync(await tarOf([{ name: 'var/lib/pkgs', data: 'musl\n' }]));
    let seen = 0;
    const analysis = await analyzeLayer(Readable.from([blob.subarray(0, 2), blob.subarray(2)]), {
      analyzers: [listAnalyzer],
      maxFileBytes: 1 << 20,
      onBlobBytes: (n) => (seen += n),
    });
    expect(seen).toBe(blob.length);
    expect(analysis.entries).toHaveLength(1);
  });

  test('bytes that are not a tar are a LayerError', async () => {
    await expect(analyze(Buffer.alloc(2048, 0x41))).rejects.toThrow(/corrupt tar archive/);
  });

  test("the blob's own error (digest mismatch) wins over the decompression error it caused", async () => {
    const good = zlib.gzipSync(await tarOf([{ name: 'var/lib/pkgs', data: 'musl\n'.repeat(1000) }]));
    const damaged = Buffer.from(good);
    damaged.fill(0x33, 20, 60);
    const blob = new Readable({ read() {} });
    blob.push(damaged);
    setTimeout(() => blob.destroy(new RegistryError('digest-mismatch', 'blob digest mismatch: expected sha256:aa, got sha256:bb')), 20);
    await expect(analyzeLayer(blob, { analyzers: [listAnalyzer], maxFileBytes: 1 << 20 })).rejects.toThrow('blob digest mismatch');
  });

  test('a wanted file over the size cap fails the image when it survives', async () => {
    const analysis = await analyze(await tarOf([{ name: 'var/lib/pkgs', data: 'a\n'.repeat(100) }]), 50);
    expect(() => mergeLayers([{ digest: 'sha256:big', analysis }])).toThrow(LayerError);
    try {
      mergeLayers([{ digest: 'sha256:big', analysis }]);
    } catch (e) {
      expect((e as LayerError).context).toEqual({ layer: 'sha256:big', file: 'var/lib/pkgs' });
      expect((e as LayerError).message).toContain('scan.maxFileBytes');
    }
  });

  test('a garbage database fails the image with layer and file; hidden by a whiteout it does not', async () => {
    const garbage = await analyze(await tarOf([{ name: 'var/lib/pkgs', data: 'GARBAGE\x00\x01' }]));
    expect(() => mergeLayers([{ digest: 'sha256:l1', analysis: garbage }])).toThrow(AnalyzerError);
    expect(() => mergeLayers([{ digest: 'sha256:l1', analysis: garbage }])).toThrow('list: var/lib/pkgs is garbage');
    const removed = await analyze(await tarOf([{ name: 'var/lib/.wh.pkgs' }]));
    expect(removed.whiteouts).toEqual(['var/lib/pkgs']);
    const merged = mergeLayers([
      { digest: 'sha256:l1', analysis: garbage },
      { digest: 'sha256:l2', analysis: removed },
    ]);
    expect(merged.packageDatabases).toEqual([]);
  });

  test('whiteouts: a deleted database is gone, a replaced one is the upper layer, an opaque dir hides the lower contents', async () => {
    const base = await analyze(
      await tarOf([
        { name: 'etc/os-release', data: 'debian' },
        { name: 'var/lib/pkgs', data: 'old1\nold2\n' },
        { name: 'var/lib/pkgs.d/a', data: 'a1\n' },
        { name: 'var/lib/pkgs.d/b', data: 'b1\n' },
      ]),
    );
    const replace = await analyze(await tarOf([{ name: 'var/lib/pkgs', data: 'new1\n' }]));
    expect(names(mergeLayers([{ digest: 'sha256:1', analysis: base }, { digest: 'sha256:2', analysis: replace }]))).toEqual(['a1', 'b1', 'new1']);

    const opaque = await analyze(await tarOf([{ name: 'var/lib/pkgs.d/.wh..wh..opq' }, { name: 'var/lib/pkgs.d/c', data: 'c1\n' }]));
    expect(opaque.opaqueDirs).toEqual(['var/lib/pkgs.d']);
    const merged = mergeLayers([{ digest: 'sha256:1', analysis: base }, { digest: 'sha256:3', analysis: opaque }]);
    expect(names(merged)).toEqual(['c1', 'old1', 'old2']);
    expect(merged.packageDatabases.map((d) => [d.path, d.layer])).toEqual([
      ['var/lib/pkgs', 'sha256:1'],
      ['var/lib/pkgs.d/c', 'sha256:3'],
    ]);
    expect(merged.os?.id).toBe('debian');
  });

  test('os-release as a symlink resolves through the merged image; a dangling one is a warning', async () => {
    const layer = await analyze(
      await tarOf([
        { name: 'usr/lib/os-release', data: 'fedora' },
        { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      ]),
    );
    expect(layer.entries.find((e) => e.path === 'etc/os-release')).toEqual({ type: 'link', path: 'etc/os-release', target: 'usr/lib/os-release' });
    expect(mergeLayers([{ digest: 'sha256:1', analysis: layer }]).os?.id).toBe('fedora');

    const dangling = await analyze(await tarOf([{ name: 'etc/os-release', type: 'symlink', linkname: '/nowhere/os-release' }]));
    const merged = mergeLayers([{ digest: 'sha256:1', analysis: dangling }]);
    expect(merged.os).toBeNull();
    expect(merged.warnings).toEqual(['etc/os-release links to nowhere/os-release, which the image does not contain as a readable file']);
  });

  test('an unreadable fallback release file is a warning beside a readable os-release, an error alone', async () => {
    const read = async (items: TarItem[]) =>
      analyzeLayer(Readable.from([await tarOf(items)]), { analyzers: [osReleaseAnalyzer], maxFileBytes: 1 << 20 });
    const both = await read([
      { name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
      { name: 'etc/redhat-release', data: '\u0000\u0001binary' },
    ]);
    const merged = mergeLayers([{ digest: 'sha256:1', analysis: both }]);
    expect(merged.os).toMatchObject({ id: 'debian', version: '12' });
    expect(merged.warnings).toHaveLength(1);
    expect(merged.warnings[0]).toMatch(/^etc\/redhat-release: .*ignored/);

    const alone = await read([{ name: 'etc/redhat-release', data: '\u0000\u0001binary' }]);
    expect(() => mergeLayers([{ digest: 'sha256:1', analysis: alone }])).toThrow(AnalyzerError);
  });
});
