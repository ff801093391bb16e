import type { Config } from '../config/schema';
import { parsePlatform } from '../registry/platform';
import { OpenShiftSource } from './openshift';
import { RegistrySource } from './registry';
import type { ImageSource } from './source';

/** One ImageSource per configured source, in config order. */
export function sourcesFor(config: Config): ImageSource[] {
  const platform = parsePlatform(config.scan.platform);
  return config.sources.map((source) =>
    source.type === 'registry' ? new RegistrySource(source, config.registries, { platform }) : new OpenShiftSource(source, config.registries),
  );
}
