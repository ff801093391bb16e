import { AnalyzerError } from '../../src/errors';

/**
 * The AnalyzerError `run` throws; with `file`, also that it is of kind 'analyzer' and names that
 * file. Fails the test when nothing is thrown.
 */
export function analyzerError(run: () => unknown, file?: string): AnalyzerError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(AnalyzerError);
    if (file !== undefined) {
      expect((e as AnalyzerError).kind).toBe('analyzer');
      expect((e as AnalyzerError).context.file).toBe(file);
    }
    return e as AnalyzerError;
  }
  throw new Error('parse did not throw');
}
