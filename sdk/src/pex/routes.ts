import type { RouteDef } from '../capability/index.js';
import type { PeerExchange } from './exchange.js';

/** `GET /api/v1/network/known`: the known set (docs/api.md §6.21). */
export function pexRoutes(pex: Pick<PeerExchange, 'known'>): RouteDef[] {
  return [{ method: 'GET', path: '/network/known', handle: () => [200, { entries: pex.known() }] }];
}
