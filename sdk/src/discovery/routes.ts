import type { RouteDef } from '../capability/index.js';
import type { DiscoveryApi } from './client.js';

/** `GET /api/v1/discovery`: each configured server, its state and its last list (docs/api.md). */
export function discoveryRoutes(client: DiscoveryApi): RouteDef[] {
  return [{ method: 'GET', path: '/discovery', handle: () => [200, { servers: client.servers() }] }];
}
