import Ajv, { type AnySchema, type ValidateFunction } from 'ajv';
import { ErrorCode, type ErrorCodeValue, PROTOCOL_VERSION } from './constants.js';
import {
  CHALLENGE_SCHEMA,
  ENVELOPE_SCHEMA,
  ERROR_SCHEMA,
  HELLO_SCHEMA,
  READY_SCHEMA,
  type Envelope,
} from './messages.js';

/**
 * How a message type uses the envelope's ids: a `request` carries `id` and expects a reply;
 * a `reply` carries `re`; a `notice` carries neither. `Error` may carry `re`.
 */
export type MessageKind = 'request' | 'reply' | 'notice';

interface MessageSpec {
  kind: MessageKind;
  validate: ValidateFunction;
  penalty: number | undefined;
}

export type DecodeResult =
  | { ok: true; envelope: Envelope }
  /** `re`: the id of the request to name in our Error; `replyTo`: the `re` the bad frame carried. */
  | { ok: false; code: ErrorCodeValue; message: string; re?: number; replyTo?: number; type?: string };

/**
 * Encodes and validates envelopes. The handshake messages and Error are built in; capabilities
 * register their message types (Ping/Pong come with the heartbeat) with a JSON Schema
 * (draft-07, checked with Ajv); nothing reaches a handler before its body passed.
 */
export class Codec {
  readonly #ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  readonly #envelope: ValidateFunction;
  readonly #specs = new Map<string, MessageSpec>();

  constructor() {
    this.#envelope = this.#ajv.compile(ENVELOPE_SCHEMA);
    this.register('Challenge', CHALLENGE_SCHEMA, 'notice');
    this.register('Hello', HELLO_SCHEMA, 'notice');
    this.register('Ready', READY_SCHEMA, 'notice');
    this.register('Error', ERROR_SCHEMA, 'notice');
  }

  /**
   * Register a message type; `penalty` is what a body failing `schema` costs the sender
   * (undefined: the default for INVALID_MESSAGE). @throws Error if the type is already registered.
   */
  register(type: string, schema: AnySchema, kind: MessageKind, penalty?: number): void {
    if (this.#specs.has(type)) throw new Error(`message type ${type} is already registered`);
    this.#specs.set(type, { kind, validate: this.#ajv.compile(schema), penalty });
  }

  /** The penalty registered for an invalid body of `type`, if any. */
  penaltyOf(type: string): number | undefined {
    return this.#specs.get(type)?.penalty;
  }

  has(type: string): boolean {
    return this.#specs.has(type);
  }

  /** Serialize an envelope to the text of one frame. */
  encode(envelope: Envelope<unknown>): string {
    return JSON.stringify(envelope);
  }

  /** Parse and validate one text frame. Never throws. */
  decode(text: string): DecodeResult {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, code: ErrorCode.MALFORMED_FRAME, message: `not JSON: ${(err as Error).message}` };
    }
    // Frames are I-JSON (RFC 7493 §2.1): a lone surrogate has no UTF-8 form and no canonical
    // JSON (RFC 8785), so a string holding one is refused. Only escapes can make one (ws
    // refuses invalid UTF-8 itself), so the walk runs only when the text has such an escape.
    if (SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(value)) {
      return { ok: false, code: ErrorCode.MALFORMED_FRAME, message: 'a string holds a lone surrogate (frames must be I-JSON, RFC 7493)', re: requestIdOf(value) };
    }
    const re = requestIdOf(value);
    if (!this.#envelope(value)) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `envelope${this.#ajv.errorsText(this.#envelope.errors, { dataVar: '' })}`, re };
    }
    const envelope = value as Envelope;
    if (envelope.v !== PROTOCOL_VERSION) {
      return { ok: false, code: ErrorCode.UNSUPPORTED_VERSION, message: `envelope version ${envelope.v} is not ${PROTOCOL_VERSION}`, re };
    }
    const spec = this.#specs.get(envelope.type);
    if (!spec) return { ok: false, code: ErrorCode.UNKNOWN_TYPE, message: `unknown message type ${envelope.type}`, re };
    if (spec.kind === 'request' && envelope.id === undefined) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `${envelope.type} is a request and needs an id`, re };
    }
    if (spec.kind === 'request' && envelope.re !== undefined) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `${envelope.type} is a request and must not carry re`, re };
    }
    if (spec.kind !== 'request' && envelope.id !== undefined) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `${envelope.type} is not a request and must not carry an id`, re };
    }
    if (spec.kind === 'notice' && envelope.type !== 'Error' && envelope.re !== undefined) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `${envelope.type} is not a reply and must not carry re`, re };
    }
    if (spec.kind === 'reply' && envelope.re === undefined) {
      return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: `${envelope.type} is a reply and needs re`, re };
    }
    if (!spec.validate(envelope.body)) {
      const message = `${envelope.type}${this.#ajv.errorsText(spec.validate.errors, { dataVar: '.body' })}`;
      return { ok: false, code: ErrorCode.INVALID_MESSAGE, message, re, replyTo: envelope.re, type: envelope.type };
    }
    return { ok: true, envelope };
  }
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether any string (value or member name) in a parsed JSON value holds a lone surrogate. */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (LONE_SURROGATE.test(key) || hasLoneSurrogate(v)) return true;
  }
  return false;
}

/** The id of what looks like a request, so an Error reply can name it. */
function requestIdOf(value: unknown): number | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof value === 'object' && Number.isSafeInteger(id) && (id as number) > 0 && (id as number) < 2 ** 31 ? (id as number) : undefined;
}
