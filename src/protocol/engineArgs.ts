/**
 * Flags of the engine's command line (dist/engine.js) that its parents add and the engine
 * reads: one spelling for both sides (client/engineProcess.ts builds, engine/main.ts parses).
 */

/** Run every check a run makes before training (config, files, data, models, layer pairs), then exit: 0 ok, 2 bad config. */
export const VALIDATE_FLAG = '--validate';
