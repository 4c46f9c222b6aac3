// Kept for imports written before src/base/ existed; the definitions live in base/errors.ts.
export * from '../base/errors.js';
