/**
 * The distributed cache: a dictionary file and a directory of stop words are registered with
 * registerCachedFile; a rich map function reads both in open() and translates words. Arguments:
 * dictionary file, stop-word directory, parallelism, and optionally 'duplicate' (registers a name
 * twice) or 'unknown' (asks for a name nobody registered), and a file to write the results to (main()
 * runs in the JobManager in Application mode, where nobody reads its stdout). Each result tells where the task found
 * its copies, so the tests can check they are not the originals.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RichMapFunction, StreamExecutionEnvironment, type RuntimeContext } from 'weir';

const [dictionary = 'dict.txt', stopWords = 'stop', p = '2', mode = '', resultFile = ''] = process.argv.slice(2);

export interface Translation {
  word: string;
  translation: string;
  stop: boolean;
  subtask: number;
  dictionaryCopy: string;
  stopWordsCopy: string;
  executable: boolean;
}

class Translate extends RichMapFunction<string, Translation> {
  private table = new Map<string, string>();
  private stop = new Set<string>();
  private dictionaryCopy = '';
  private stopWordsCopy = '';
  private executable = false;
  private subtask = -1;

  override open(ctx: RuntimeContext): void {
    const cache = ctx.getDistributedCache();
    this.subtask = ctx.getIndexOfThisSubtask();
    this.dictionaryCopy = cache.getFile(mode === 'unknown' ? 'no-such-name' : 'dictionary');
    for (const line of readFileSync(this.dictionaryCopy, 'utf8').split('\n')) {
      const [from, to] = line.split('=');
      if (from && to) this.table.set(from.trim(), to.trim());
    }
    // getRuntimeContext() answers the same as the context open() got.
    this.stopWordsCopy = this.getRuntimeContext().getDistributedCache().getFile('stop-words');
    for (const f of readdirSync(this.stopWordsCopy, { recursive: true, withFileTypes: true })) {
      if (f.isFile()) for (const w of readFileSync(join(f.parentPath, f.name), 'utf8').split(/\s+/)) if (w) this.stop.add(w);
    }
    this.executable = (statSync(this.dictionaryCopy).mode & 0o100) !== 0;
  }

  map(word: string): Translation {
    return {
      word,
      translation: this.table.get(word) ?? '?',
      stop: this.stop.has(word),
      subtask: this.subtask,
      dictionaryCopy: this.dictionaryCopy,
      stopWordsCopy: this.stopWordsCopy,
      executable: this.executable,
    };
  }
}

const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(Number(p));
env.registerCachedFile(dictionary, 'dictionary', true);
env.registerCachedFile(stopWords, 'stop-words');
if (mode === 'duplicate') env.registerCachedFile(stopWords, 'dictionary');

export const translations = await env
  .fromData('one', 'two', 'three', 'the', 'four', 'a')
  .rebalance()
  .map(new Translate())
  .executeAndCollect('cached-file');
console.log(`translations: ${JSON.stringify(translations)}`);
if (resultFile) writeFileSync(resultFile, `translations: ${JSON.stringify(translations)}\n`);
