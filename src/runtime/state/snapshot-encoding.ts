/**
 * MessagePack framing for keyed state encoded in chunks. A checkpoint's keyed part is one
 * MessagePack document, `{ states: [{ name, kind, entries: [...] }], timers }` (what
 * unpackState reads back as a KeyedStatePart); the heap backend encodes the entries a chunk at a
 * time between the task's own work, so the document is assembled here from those chunks, the
 * already-encoded timers, and headers written by hand. Checkpoint files are packed without
 * records (`useRecords: false`), so encodings concatenate.
 */
import { Packr } from 'msgpackr';
import { checkRecordClasses } from '../serialization/record-classes.js';
import type { StateKind } from '../../api/state.js';

const packr = new Packr({ useRecords: false });

/** The encodings of `entries`, one after the other, without an array header. */
export function packEntryChunk(entries: readonly unknown[]): Uint8Array {
  for (const e of entries) checkRecordClasses((e as unknown[])[3], 'A state value');
  const b = packr.pack(entries);
  const first = b[0]!;
  const header = first >= 0x90 && first <= 0x9f ? 1 : first === 0xdc ? 3 : first === 0xdd ? 5 : -1;
  if (header < 0) throw new Error(`unexpected MessagePack array header 0x${first.toString(16)}`);
  return b.slice(header); // a copy: the packer reuses its buffer
}

export interface EncodedEntries {
  name: string;
  kind: StateKind;
  count: number;
  chunks: Uint8Array[];
}

function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  const b = new Uint8Array(5);
  b[0] = 0xdd;
  new DataView(b.buffer).setUint32(1, n);
  return b;
}

/** `{ states, timers }` from encoded entries and the MessagePack encoding of the timers. */
export function packKeyedStateChunks(states: readonly EncodedEntries[], timers: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x82), packr.pack('states'), arrayHeader(states.length)];
  for (const s of states) {
    parts.push(Uint8Array.of(0x83), packr.pack('name'), packr.pack(s.name), packr.pack('kind'), packr.pack(s.kind));
    parts.push(packr.pack('entries'), arrayHeader(s.count), ...s.chunks);
  }
  parts.push(packr.pack('timers'), timers);
  return Buffer.concat(parts);
}
