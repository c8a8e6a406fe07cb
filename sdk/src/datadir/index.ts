export { DataDirInUseError, lockDataDir, lockHolder, writeRunInfo, readRunFile, readRunInfo, markStopped, type RunInfo, LOCK_FILE, RUN_FILE } from './data-dir.js';
