/**
 * What programs import from 'weir/connectors/file': FileSource (text lines of a file or a
 * directory) and FileSink (JSON lines in part files per subtask).
 */
export { FileSource, type FileSourceOptions, type FileSourceSplit } from './file-source.js';
export { FileSink, commitPendingFile, type PendingPartFile } from './file-sink.js';
