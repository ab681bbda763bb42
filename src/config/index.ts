/**
 * Weir's configuration: the option table (options.ts) and the validated Configuration read from
 * conf/config.yaml and -D (configuration.ts). Everything that reads a setting goes through here.
 */
export { OPTIONS, OPTION_KEYS, RENAMED_KEYS, isJobKey, isOptionKey, isSecretKey, optionSpec } from './options.js';
export type { KeysOfType, OptionKey, OptionSpec, OptionType, OptionTypeValues, OptionValue } from './options.js';
export {
  Configuration,
  DYNAMIC_SOURCE,
  formatDuration,
  formatMemorySize,
  formatOptionValue,
  levenshtein,
  loadConfiguration,
  parseDuration,
  parseDynamicProperty,
  parseMemorySize,
  parseOptionValue,
  suggestKey,
} from './configuration.js';
export type { ConfigValue, LoadConfigurationOptions, RawValue, ToJSONOptions } from './configuration.js';
export { assertOptionsAvailable } from './availability.js';
