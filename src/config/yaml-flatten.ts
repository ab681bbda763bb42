/** Flattens a YAML configuration document to `a.b.c` keys with their line numbers. */
import { yaml } from './yaml.js';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { WeirError } from '../errors.js';
import type { RawValue } from './values.js';

export function flatten(
  doc: Document,
  node: YamlNode,
  prefix: string,
  origin: string,
  lines: LineCounter,
  out: { key: string; raw: RawValue; line: number }[],
): void {
  const resolved = yaml().isAlias(node) ? node.resolve(doc) : node;
  if (!yaml().isMap(resolved)) return;
  for (const pair of resolved.items) {
    const keyNode = pair.key as YamlNode | null;
    const line = lineOf(keyNode, lines);
    if (!yaml().isScalar(keyNode) || typeof keyNode.value !== 'string' || keyNode.value === '') {
      throw new WeirError('WEIR_CONFIG_FILE', `Configuration file '${origin}' has a key that is not a plain name at line ${line}`);
    }
    const key = prefix ? `${prefix}.${keyNode.value}` : keyNode.value;
    let value = pair.value as YamlNode | null;
    if (yaml().isAlias(value)) value = value.resolve(doc) ?? null;
    if (value === null) continue;
    if (yaml().isMap(value)) {
      flatten(doc, value, key, origin, lines, out);
    } else if (yaml().isSeq(value)) {
      const items: string[] = [];
      for (const item of value.items) {
        const v = yaml().isAlias(item) ? item.resolve(doc) : item;
        if (!yaml().isScalar(v)) {
          throw new WeirError('WEIR_CONFIG_FILE', `Configuration key '${key}' in '${origin}:${line}' must be a list of plain values`);
        }
        items.push(String(v.value));
      }
      out.push({ key, raw: items, line });
    } else if (yaml().isScalar(value)) {
      // `key:` with nothing after it leaves the option unset; `key: ""` sets an empty string.
      if (value.value === '' && value.type === 'PLAIN') continue;
      out.push({ key, raw: String(value.value), line });
    }
  }
}

function lineOf(node: YamlNode | null, lines: LineCounter): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 0 : lines.linePos(offset).line;
}
