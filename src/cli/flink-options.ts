/**
 * Flink's spellings of `weir` options. Flink's CLI has single-dash long options (`-sae`,
 * `-detached`, `-cm`, `-type`, `-full`) and camel-case long ones (`--allowNonRestoredState`) that
 * the command-line parser would misread (`-sae` as `-s ae`) or reject: they are rewritten to Weir's
 * names before parsing. Arguments after `--` (the program's) are left alone.
 */
const ALIASES: Readonly<Record<string, string>> = {
  '-sae': '--shutdown-on-attached-exit',
  '--shutdownOnAttachedExit': '--shutdown-on-attached-exit',
  '--allowNonRestoredState': '--allow-non-restored-state',
  '-cm': '--claim-mode',
  '--claimMode': '--claim-mode',
  // Flink's former name of the claim mode.
  '-rm': '--claim-mode',
  '--restoreMode': '--claim-mode',
  '-detached': '--detached',
  '--savepointPath': '--savepoint-path',
  '--withSavepoint': '--with-savepoint',
  '-type': '--type',
  '-full': '--full',
};

export function rewriteFlinkOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...out, ...argv.slice(i)];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const alias = ALIASES[name];
    out.push(alias === undefined ? a : alias + a.slice(name.length));
  }
  return out;
}

/** Flink's claim modes (-cm/--claimMode): who owns the snapshot a job is restored from. */
export const CLAIM_MODES = ['CLAIM', 'NO_CLAIM', 'LEGACY'] as const;
export type ClaimMode = (typeof CLAIM_MODES)[number];

/** Flink's savepoint formats (--type). */
export const SAVEPOINT_TYPES = ['canonical', 'native'] as const;
