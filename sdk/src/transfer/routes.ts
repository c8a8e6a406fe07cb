import type { RouteDef } from '../capability/index.js';
import type { TransferService } from './service.js';

const FILE_ID = '([0-9a-f]{64})';
const DOWNLOAD_ID = '([0-9a-f]{12})';

/** The file routes of the HTTP API (docs/api.md, "Files"). */
export function transferRoutes(files: TransferService): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/files',
      body: { type: 'object', properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } }, required: ['path'], additionalProperties: false },
      handle: async (r) => [201, { file: await files.share((r.body as { path: string }).path) }],
    },
    { method: 'GET', path: '/files', handle: () => [200, { files: files.shares() }] },
    {
      method: 'DELETE',
      path: `/files/${FILE_ID}`,
      handle: async (r) => {
        await files.unshare(r.params[0]!);
        return [200, { unshared: r.params[0] }];
      },
    },
    {
      method: 'POST',
      path: '/downloads',
      body: {
        type: 'object',
        properties: { link: { type: 'string', minLength: 1, maxLength: 8192 }, out: { type: 'string', minLength: 1, maxLength: 4096 } },
        required: ['link', 'out'],
        additionalProperties: false,
      },
      handle: async (r) => {
        const b = r.body as { link: string; out: string };
        return [201, { download: await files.download(b.link, b.out) }];
      },
    },
    { method: 'GET', path: '/downloads', handle: () => [200, { downloads: files.downloads() }] },
    { method: 'GET', path: `/downloads/${DOWNLOAD_ID}`, handle: (r) => [200, { download: files.progress(r.params[0]!) }] },
    {
      method: 'DELETE',
      path: `/downloads/${DOWNLOAD_ID}`,
      handle: async (r) => {
        await files.removeDownload(r.params[0]!);
        return [200, { removed: r.params[0] }];
      },
    },
  ];
}
