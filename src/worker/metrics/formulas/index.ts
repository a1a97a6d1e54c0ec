/** Pure metric formulas (no model code); each file documents its conventions and sources. */
export * from './rouge.ts';
export * from './porter-stemmer.ts';
export * from './roc.ts';
export * from './mia-scores.ts';
export * from './ks.ts';
export * from './memorization.ts';
export * from './truth-ratio.ts';
