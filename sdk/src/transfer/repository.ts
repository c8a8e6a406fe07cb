import type { Store } from '../store/index.js';

export interface ShareRow {
  fileId: string;
  path: string;
  /** The signed manifest, JSON text. */
  manifest: string;
  addedAt: number;
}

export interface DownloadRow {
  id: string;
  fileId: string;
  outPath: string;
  manifest: string;
  /** base64 bitfield of verified pieces. */
  verified: string;
  status: 'downloading' | 'complete' | 'stopped';
  createdAt: number;
  completedAt: number | null;
}

/** The `shares` and `downloads` tables. File data itself never enters the database. */
export class TransfersRepository {
  constructor(private readonly store: Store) {}

  putShare(row: ShareRow): void {
    this.store.run(
      `INSERT INTO shares (file_id, path, manifest, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(file_id) DO UPDATE SET path = excluded.path, manifest = excluded.manifest`,
      [row.fileId, row.path, row.manifest, row.addedAt],
    );
  }

  deleteShare(fileId: string): void {
    this.store.run('DELETE FROM shares WHERE file_id = ?', [fileId]);
  }

  deleteDownload(id: string): void {
    this.store.run('DELETE FROM downloads WHERE id = ?', [id]);
  }

  listShares(): ShareRow[] {
    return this.store
      .all<{ file_id: string; path: string; manifest: string; added_at: number }>('SELECT * FROM shares ORDER BY added_at')
      .map((r) => ({ fileId: r.file_id, path: r.path, manifest: r.manifest, addedAt: r.added_at }));
  }

  putDownload(row: DownloadRow): void {
    this.store.run(
      `INSERT INTO downloads (id, file_id, out_path, manifest, verified, status, created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.id, row.fileId, row.outPath, row.manifest, row.verified, row.status, row.createdAt, row.completedAt],
    );
  }

  setVerified(id: string, verified: string): void {
    this.store.run('UPDATE downloads SET verified = ? WHERE id = ?', [verified, id]);
  }

  setStatus(id: string, status: DownloadRow['status'], completedAt: number | null): void {
    this.store.run('UPDATE downloads SET status = ?, completed_at = ? WHERE id = ?', [status, completedAt, id]);
  }

  listDownloads(): DownloadRow[] {
    return this.store
      .all<{ id: string; file_id: string; out_path: string; manifest: string; verified: string; status: DownloadRow['status']; created_at: number; completed_at: number | null }>(
        'SELECT * FROM downloads ORDER BY created_at',
      )
      .map((r) => ({
        id: r.id,
        fileId: r.file_id,
        outPath: r.out_path,
        manifest: r.manifest,
        verified: r.verified,
        status: r.status,
        createdAt: r.created_at,
        completedAt: r.completed_at,
      }));
  }
}
