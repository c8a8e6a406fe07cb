import type { FromSchema } from 'json-schema-to-ts';
import type { SchemaObject } from 'ajv';

/**
 * The envelope of every JSON text frame:
 * `{"v":1,"type":"Ping","id":7,"body":{...}}` for a request, `{"v":1,"type":"Pong","re":7,"body":{...}}`
 * for its reply. `id` numbers a request (unique per sender per connection), `re` names the
 * request a reply answers. Messages that are neither carry neither.
 */
export interface Envelope<B = Record<string, unknown>> {
  v: number;
  type: string;
  id?: number;
  re?: number;
  body: B;
}

export interface ChallengeBody {
  /** 32 random bytes, base64url. */
  nonce: string;
}

export interface HelloBody {
  version: number;
  nodeId: string;
  publicKey: string;
  /** "host:port" where this node accepts connections, or null if it does not listen. */
  listenAddress: string | null;
  agent: string;
  name: string | null;
  /** Ed25519 signature, base64url, over the canonical Hello payload (see docs/protocol.md). */
  signature: string;
}

export type ReadyBody = Record<string, never>;

/** Ping (request) and Pong (reply): `nonce` is 8 random bytes, base64url, echoed in the Pong. */
export type PingBody = FromSchema<typeof PING_SCHEMA>;
export type PongBody = PingBody;

export interface ErrorBody {
  code: string;
  message: string;
}

const B64URL = '^[A-Za-z0-9_-]*$';
/** "host:port" with a DNS name or IPv4 host, or "[ipv6]:port". */
const ADDRESS = '^(\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9.-]{1,253}):[0-9]{1,5}$';
const MAX_ID = 2 ** 31 - 1;

export const ENVELOPE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    v: { type: 'integer', minimum: 1, maximum: 65535 },
    type: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,63}$' },
    id: { type: 'integer', minimum: 1, maximum: MAX_ID },
    re: { type: 'integer', minimum: 1, maximum: MAX_ID },
    body: { type: 'object', required: [] },
  },
  required: ['v', 'type', 'body'],
  additionalProperties: false,
};

export const CHALLENGE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { nonce: { type: 'string', minLength: 43, maxLength: 43, pattern: B64URL } },
  required: ['nonce'],
  additionalProperties: false,
};

export const HELLO_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    version: { type: 'integer', minimum: 1, maximum: 65535 },
    nodeId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    publicKey: { type: 'string', minLength: 43, maxLength: 43, pattern: B64URL },
    listenAddress: { type: 'string', pattern: ADDRESS, maxLength: 259, nullable: true },
    agent: { type: 'string', maxLength: 128 },
    name: { type: 'string', maxLength: 64, nullable: true },
    signature: { type: 'string', minLength: 86, maxLength: 86, pattern: B64URL },
  },
  required: ['version', 'nodeId', 'publicKey', 'listenAddress', 'agent', 'name', 'signature'],
  additionalProperties: false,
};

export const READY_SCHEMA = {
  type: 'object',
  properties: {},
  additionalProperties: false,
};

export const PING_SCHEMA = {
  type: 'object',
  properties: { nonce: { type: 'string', minLength: 11, maxLength: 11, pattern: '^[A-Za-z0-9_-]*$' } },
  required: ['nonce'],
  additionalProperties: false,
} as const;

export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$' },
    message: { type: 'string', maxLength: 1024 },
  },
  required: ['code', 'message'],
  additionalProperties: false,
};

/** The bodies of the messages the transport itself handles (the handshake and Error). */
export interface CoreBodies {
  Challenge: ChallengeBody;
  Hello: HelloBody;
  Ready: ReadyBody;
  Error: ErrorBody;
}

/**
 * Narrow a decoded envelope to one of the core types. Sound because the codec validated the
 * body against the schema registered for `envelope.type` before anyone sees the envelope.
 */
export function isCore<K extends keyof CoreBodies>(envelope: Envelope<unknown>, type: K): envelope is Envelope<CoreBodies[K]> {
  return envelope.type === type;
}
