/**
 * The YAML parser, loaded on first use: only processes that read config.yaml or list values need
 * it, and every slot worker thread imports the configuration modules.
 */
import { createRequire } from 'node:module';

let yamlModule: typeof import('yaml') | undefined;
export const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
