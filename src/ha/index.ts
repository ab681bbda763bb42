export * from './coordination.js';
export * from './records.js';
export * from './services.js';
export * from './storage-dir.js';
export * from './stores.js';
