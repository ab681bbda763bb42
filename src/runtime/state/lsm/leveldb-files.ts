/**
 * Reads LevelDB's MANIFEST (a log of VersionEdits) to find the table files of one version of the
 * database: the set an incremental checkpoint must hold. Format: LevelDB's db/log_format.h and
 * db/version_edit.cc (LevelDB 1.20, as bundled by classic-level).
 */
import { WeirError } from '../../../errors.js';

const BLOCK = 32768;
const HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

/** The records of a LevelDB log file; a torn record at the end (a write in progress) is dropped. */
export function readLogRecords(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pending: Uint8Array[] | undefined;
  let pos = 0;
  while (pos < buf.length) {
    const inBlock = BLOCK - (pos % BLOCK);
    if (inBlock < HEADER) {
      pos += inBlock; // block trailer
      continue;
    }
    if (pos + HEADER > buf.length) break;
    const len = buf[pos + 4]! | (buf[pos + 5]! << 8);
    const type = buf[pos + 6]!;
    if (type === 0 && len === 0) {
      pos += inBlock; // preallocated zeroes up to the end of the block
      continue;
    }
    if (pos + HEADER + len > buf.length) break;
    const data = buf.subarray(pos + HEADER, pos + HEADER + len);
    pos += HEADER + len;
    if (type === FULL) {
      out.push(data);
      pending = undefined;
    } else if (type === FIRST) pending = [data];
    else if (type === MIDDLE) pending?.push(data);
    else if (type === LAST && pending !== undefined) {
      pending.push(data);
      out.push(Buffer.concat(pending));
      pending = undefined;
    }
  }
  return out;
}

export interface LiveTableFile {
  number: number;
  level: number;
  size: number;
}

export interface ManifestVersion {
  tables: Map<number, LiveTableFile>;
  logNumber: number;
  nextFileNumber: number;
  lastSequence: number;
}

/** Applies every VersionEdit of a MANIFEST; the table files left are the live ones. */
export function parseManifest(buf: Uint8Array): ManifestVersion {
  const v: ManifestVersion = { tables: new Map(), logNumber: 0, nextFileNumber: 0, lastSequence: 0 };
  for (const rec of readLogRecords(buf)) applyEdit(v, rec);
  return v;
}

function applyEdit(v: ManifestVersion, r: Uint8Array): void {
  let pos = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10 && pos < r.length; i++) {
      const c = r[pos++]!;
      n += (c & 127) * mul;
      if (c < 128) return n;
      mul *= 128;
    }
    throw new WeirError('WEIR_CHECKPOINT', 'Corrupt LevelDB MANIFEST: bad varint');
  };
  const slice = (): void => {
    const n = varint();
    pos += n;
  };
  const deleted: [number, number][] = [];
  const added: LiveTableFile[] = [];
  while (pos < r.length) {
    const tag = varint();
    switch (tag) {
      case 1: // comparator
        slice();
        break;
      case 2:
        v.logNumber = varint();
        break;
      case 3:
        v.nextFileNumber = varint();
        break;
      case 4:
        v.lastSequence = varint();
        break;
      case 5: // compact pointer
        varint();
        slice();
        break;
      case 6: {
        const level = varint();
        deleted.push([level, varint()]);
        break;
      }
      case 7: {
        const level = varint();
        const number = varint();
        const size = varint();
        slice();
        slice();
        added.push({ number, level, size });
        break;
      }
      case 9: // prev log number
        varint();
        break;
      default:
        throw new WeirError('WEIR_CHECKPOINT', `Corrupt LevelDB MANIFEST: unknown tag ${tag}`);
    }
  }
  // as VersionSet::Builder: deletions of an edit apply before its additions
  for (const [, n] of deleted) v.tables.delete(n);
  for (const f of added) v.tables.set(f.number, f);
}

export function tableFileName(number: number, ext: 'ldb' | 'sst' = 'ldb'): string {
  return `${String(number).padStart(6, '0')}.${ext}`;
}
