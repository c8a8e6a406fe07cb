/** Largest contract source (bytes of UTF-8). */
export const MAX_SOURCE_BYTES = 64 * 1024;
/** Largest contract state, as canonical JSON (bytes). */
export const MAX_STATE_BYTES = 256 * 1024;
/** Largest argument list of one call, as JSON (bytes). */
export const MAX_ARGS_BYTES = 16 * 1024;
/** Largest result of one call, as JSON (bytes). */
export const MAX_RESULT_BYTES = 64 * 1024;
/** Longest contract name (characters). */
export const MAX_NAME_LENGTH = 64;
/**
 * Instruction budget of one call, in gas units. One unit is one poll of the interrupt
 * handler, which QuickJS makes about every 10,000 bytecode operations; the default allows
 * roughly 20 million operations.
 */
export const GAS_LIMIT = 2_000;
/** Wall-clock deadline of one call (ms), a second line of defence behind the gas budget. */
export const CALL_DEADLINE_MS = 1_000;
/**
 * Heap limit of one call's runtime (bytes): QuickJS's own limit (which, in the WebAssembly build,
 * counts 8 bytes per allocated block whatever its size) and the growth allowed to the QuickJS
 * instance's WebAssembly memory beyond its initial 16 MiB (whose spare part is reserved at
 * load), which bounds the bytes truly held.
 */
export const MEMORY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Stack limit of one call's runtime (bytes). Larger values let deep recursion overflow the host stack. */
export const STACK_LIMIT_BYTES = 256 * 1024;
/** Name of the optional function run once at deploy with the deploy arguments. */
export const INIT_FUNCTION = 'init';
