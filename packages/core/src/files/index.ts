export { normalizeFilePath, isValidFilePath, MAX_PATH_LENGTH } from './path-rules.js';
export { encodeText, decodeText, isBinaryContent, sha256Hex, bytesEqual } from './content.js';
export { diffFileSets, diffSourceFiles, type DiffSide } from './diff-files.js';
export { applyFileChanges } from './apply-changes.js';
export { findPathConflict, lastWriteInConflict, pathConflictError, type PathConflict } from './path-conflicts.js';
