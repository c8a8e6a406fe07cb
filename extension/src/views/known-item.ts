import * as vscode from 'vscode';
import type { KnownAddress } from '@plexus/sdk';
import { formatTime, shortId } from './format';

const STATE_ICON: Record<KnownAddress['state'], [string, string | undefined]> = {
  connected: ['debug-connected', 'testing.iconPassed'],
  candidate: ['debug-disconnect', undefined],
  off: ['circle-slash', 'disabledForeground'],
  banned: ['error', 'testing.iconFailed'],
};

const STATE_TEXT: Record<KnownAddress['state'], string> = {
  connected: 'connected',
  candidate: 'candidate: dialed to keep the connection target',
  off: 'off: not dialed automatically',
  banned: 'banned',
};

/**
 * An address of the known set (GET /network/known, docs/api.md §5.11): its node, state and
 * what peer exchange heard of it. contextValue "known:node" when its node ID is known (Send
 * Direct Message applies), else "known".
 */
export class KnownItem extends vscode.TreeItem {
  readonly kind = 'known';
  constructor(readonly entry: KnownAddress) {
    const nodeId = entry.nodeId ?? entry.heard?.nodeId ?? null;
    super(entry.name ?? (nodeId ? shortId(nodeId) : entry.address), vscode.TreeItemCollapsibleState.None);
    this.id = `known:${entry.address}`;
    this.description = `${entry.name && nodeId ? `${shortId(nodeId)} · ` : ''}${entry.name || nodeId ? `${entry.address} · ` : ''}${entry.state}${entry.failures ? ` · ${entry.failures} failed` : ''}`;
    const [icon, colour] = STATE_ICON[entry.state] ?? ['question', undefined];
    this.iconPath = new vscode.ThemeIcon(icon, colour ? new vscode.ThemeColor(colour) : undefined);
    this.contextValue = entry.nodeId ? 'known:node' : 'known';
    const lines = [
      `**${entry.name ?? 'unnamed'}** at \`${entry.address}\``,
      nodeId ? `\`${nodeId}\`${entry.nodeId ? '' : ' (as heard, not confirmed)'}` : 'node not reached yet',
      `${STATE_TEXT[entry.state] ?? entry.state}${entry.autoDial ? '' : ' · auto-dial off'}${entry.failures ? ` · ${entry.failures} failed dials in a row` : ''}`,
      `last seen ${entry.lastSeen ? formatTime(entry.lastSeen) : 'never'} · added ${formatTime(entry.addedAt)}`,
    ];
    if (entry.heard) lines.push(`heard from \`${shortId(entry.heard.heardFrom)}\` at ${formatTime(entry.heard.heardAt)}`);
    this.tooltip = new vscode.MarkdownString(lines.join('\n\n'));
  }

  /** The node ID when confirmed by a handshake, else null. */
  get nodeId(): string | null {
    return this.entry.nodeId;
  }
  get name(): string | null {
    return this.entry.name;
  }
}
