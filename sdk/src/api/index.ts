/**
 * API: the node's HTTP interface (docs/api.md) and a client for it.
 *
 * Data flow: HTTP request -> bearer-token check -> route table -> JSON body read (size
 * limit) and schema check -> a node operation -> JSON reply, or `{error:{code,message}}`
 * with the status that fits the error code. Node events fan out to every open
 * `GET /api/v1/events` stream as Server-Sent Events.
 */
export { ApiServer, type ApiComponents, type ApiInit, type NodeInfo } from './server.js';
export { ApiClient, ApiClientError, NodeNotRunningError } from './client.js';
export { ApiError, STATUS_BY_CODE } from './errors.js';
export { loadOrCreateToken, generateToken } from './token.js';
export { API_HOST, API_PREFIX, MAX_BODY_BYTES, TOKEN_FILE } from './constants.js';
