/**
 * Options declared for features that are not built yet are rejected when a process or a job
 * starts, so a setting is never accepted and silently ignored. The option table marks them with
 * `unavailable`; a key set to its default stays allowed.
 */
import { WeirError } from '../errors.js';
import { Configuration, formatOptionValue, type ConfigValue } from './configuration.js';
import { optionSpec } from './options.js';

export function assertOptionsAvailable(config: Configuration): void {
  const problems: string[] = [];
  for (const key of config.keys()) {
    const feature = optionSpec(key).unavailable;
    if (feature === undefined) continue;
    // A key at its default changes nothing (a job's full configuration carries every default).
    if (formatOptionValue(key, config.get(key) as ConfigValue) === formatOptionValue(key, new Configuration().get(key) as ConfigValue))
      continue;
    problems.push(`'${key}' (from ${config.sourceOf(key)}) configures ${feature}`);
  }
  if (problems.length === 0) return;
  throw new WeirError(
    'WEIR_CONFIG_UNAVAILABLE',
    `${problems.join('; ')}, which this version of Weir does not provide yet. Remove ${problems.length === 1 ? 'the key' : 'these keys'} from conf/config.yaml or -D.`,
  );
}
