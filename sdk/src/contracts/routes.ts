import type { RouteDef } from '../capability/index.js';
import type { ContractService } from './service.js';

const ADDRESS = '([0-9a-f]{64})';

/** The contract routes of the HTTP API (docs/api.md, "Contracts"). */
export function contractRoutes(contracts: ContractService): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/contracts',
      body: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 64 },
          source: { type: 'string', minLength: 1, maxLength: 64 * 1024 },
          args: { type: 'array', maxItems: 64 },
        },
        required: ['name', 'source'],
        additionalProperties: false,
      },
      handle: async (r) => [201, { contract: await contracts.deploy(r.body as { name: string; source: string; args?: unknown[] }) }],
    },
    { method: 'GET', path: '/contracts', handle: () => [200, { contracts: contracts.list() }] },
    { method: 'GET', path: `/contracts/${ADDRESS}`, handle: (r) => [200, { contract: contracts.get(r.params[0]!) }] },
    {
      method: 'POST',
      path: `/contracts/${ADDRESS}/call`,
      body: {
        type: 'object',
        properties: {
          function: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' },
          args: { type: 'array', maxItems: 64 },
        },
        required: ['function'],
        additionalProperties: false,
      },
      handle: async (r) => {
        const b = r.body as { function: string; args?: unknown[] };
        return [200, await contracts.call(r.params[0]!, b.function, b.args ?? [])];
      },
    },
  ];
}
