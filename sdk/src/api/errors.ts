import { PlexusError } from '../errors.js';

/** An error answered to an API caller: HTTP status plus the `{error:{code,message}}` body. */
export class ApiError extends PlexusError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** HTTP status for SDK error codes that reach the API. Anything else is a 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_ADDRESS: 400,
  INVALID_BODY: 400,
  PEER_NOT_FOUND: 404,
  BAN_NOT_FOUND: 404,
  SELF_CONNECTION: 409,
  DIAL_FAILED: 502,
  PROTOCOL_ERROR: 502,
  UNSUPPORTED_VERSION: 502,
  BAD_SIGNATURE: 502,
  NODE_ID_MISMATCH: 502,
  BANNED: 502,
  TOO_MANY_PEERS: 502,
  DUPLICATE_CONNECTION: 502,
  CONNECTION_CLOSED: 502,
  GOING_AWAY: 502,
  HANDSHAKE_TIMEOUT: 504,
  REQUEST_TIMEOUT: 504,
  NOT_STARTED: 503,
  NOT_A_FILE: 400,
  OUT_NOT_WRITABLE: 400,
  INVALID_LINK: 400,
  FILE_NOT_FOUND: 404,
  DOWNLOAD_NOT_FOUND: 404,
  MANIFEST_UNAVAILABLE: 404,
  ALREADY_DOWNLOADING: 409,
  CONTRACT_NOT_FOUND: 404,
  CONTRACT_FUNCTION_NOT_FOUND: 404,
  CONTRACT_INVALID_ARGS: 400,
  CONTRACT_TOO_LARGE: 413,
  CONTRACT_INVALID_SOURCE: 422,
  CONTRACT_THREW: 422,
  CONTRACT_INVALID_RESULT: 422,
  CONTRACT_OUT_OF_GAS: 422,
  CONTRACT_TIMEOUT: 422,
  CONTRACT_TOO_EXPENSIVE: 422,
  CONTRACT_OUT_OF_MEMORY: 422,
  CONTRACT_STACK_OVERFLOW: 422,
  ABORTED: 503,
  INVALID_CHAT_REQUEST: 400,
  INVALID_CHAT_MESSAGE: 400,
  NO_CHAT_KEY: 404,
};
