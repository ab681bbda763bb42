/**
 * The REST API's message shapes, shared by the server (validation and serialization) and the typed
 * client. Each is declared once, as a TypeBox schema under `schemas/` (one file per group of
 * resources), with its TypeScript type derived by `Static<>`. Paths and field names are Flink's
 * where the concept is the same (DESIGN §6), so tools written for Flink's REST API can read Weir's;
 * bundles replace jars.
 */
export * from './schemas/common.js';
export * from './schemas/cluster.js';
export * from './schemas/jobs.js';
export * from './schemas/checkpoints.js';
export * from './schemas/bundles.js';
export * from './schemas/vertices.js';
export * from './schemas/jobmanager.js';
export * from './schemas/checkpoint-details.js';
