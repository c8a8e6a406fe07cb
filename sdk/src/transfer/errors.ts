import { PlexusError } from '../errors.js';

/** A transfer operation failed; `code` says why (FILE_NOT_FOUND, INVALID_LINK, INVALID_MANIFEST, ...). */
export class TransferError extends PlexusError {}

export const transferError = {
  fileNotFound: (what: string) => new TransferError('FILE_NOT_FOUND', what),
  invalidLink: (link: string, why: string) => new TransferError('INVALID_LINK', `"${link.slice(0, 80)}" is not a Plexus link: ${why}`),
  invalidManifest: (why: string) => new TransferError('INVALID_MANIFEST', why),
  manifestUnavailable: (fileId: string) => new TransferError('MANIFEST_UNAVAILABLE', `no connected peer has file ${fileId.slice(0, 12)}`),
  downloadNotFound: (id: string) => new TransferError('DOWNLOAD_NOT_FOUND', `no download ${id}`),
  alreadyDownloading: (fileId: string, out: string) => new TransferError('ALREADY_DOWNLOADING', `file ${fileId.slice(0, 12)} is already being downloaded to ${out}`),
  outNotWritable: (path: string, why: string) => new TransferError('OUT_NOT_WRITABLE', `cannot write the download to ${path}: ${why}`),
  notAFile: (path: string) => new TransferError('NOT_A_FILE', `${path} is not a readable regular file`),
};
