import type { RouteDef } from '../capability/index.js';
import type { Outbox } from './outbox.js';

/** GET /outbox: pending broadcasts of every kind, without their payloads (docs/api.md). */
export function outboxRoutes(outbox: Outbox): RouteDef[] {
  return [{ method: 'GET', path: '/outbox', handle: () => [200, { entries: outbox.list().map((e) => outbox.describe(e)) }] }];
}
