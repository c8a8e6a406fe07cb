/** Address the API binds to: loopback only unless the operator says otherwise. */
export const API_HOST = '127.0.0.1';
/** Largest request body accepted (bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Interval of SSE keep-alive comments (ms). */
export const SSE_KEEPALIVE_MS = 15_000;
/** Name of the bearer token file in the data folder. */
export const TOKEN_FILE = 'api-token';
/** Path prefix of every route. */
export const API_PREFIX = '/api/v1';
