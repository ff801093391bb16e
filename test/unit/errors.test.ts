import { LayerError } from '../../src/errors';

describe('typed errors', () => {
  it('keep their cause, message and kind when context is added', () => {
    const cause = new Error('unexpected end of file');
    const error = new LayerError('corrupt gzip stream', { layer: 'sha256:aa' }, { cause }).withContext({ image: 'registry.test/app:1', layer: 'sha256:bb' });
    expect(error).toBeInstanceOf(LayerError);
    expect(error.cause).toBe(cause);
    expect(error.kind).toBe('layer');
    expect(error.context).toEqual({ image: 'registry.test/app:1', layer: 'sha256:aa' });
    expect(error.describe()).toBe('corrupt gzip stream (image registry.test/app:1, layer sha256:aa)');
  });
});
