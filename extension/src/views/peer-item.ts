import * as vscode from 'vscode';
import type { PeerInfo } from '@plexus/sdk';
import { DetailItem } from './detail-item';
import { formatRtt, formatTime, shortId } from './format';

/** A connected peer; inline Disconnect and Ban (contextValue "peer"). */
export class PeerItem extends vscode.TreeItem {
  readonly kind = 'peer';
  constructor(readonly peer: PeerInfo) {
    super(peer.name ?? shortId(peer.nodeId), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `peer:${peer.nodeId}`;
    this.description = `${peer.name ? `${shortId(peer.nodeId)} · ` : ''}${peer.address} · ${formatRtt(peer.rttMs)}`;
    this.iconPath = new vscode.ThemeIcon(peer.direction === 'outbound' ? 'arrow-up' : 'arrow-down');
    this.contextValue = 'peer';
    this.tooltip = new vscode.MarkdownString(
      `**${peer.name ?? 'unnamed peer'}**\n\n\`${peer.nodeId}\`\n\n${peer.direction} · ${peer.address} · round-trip ${formatRtt(peer.rttMs)} · connected since ${formatTime(peer.connectedAt)}`,
    );
  }

  children(): DetailItem[] {
    const p = this.peer;
    return [
      new DetailItem('Node ID', p.nodeId, 'key'),
      new DetailItem('Address', p.address, 'plug'),
      new DetailItem('Direction', p.direction === 'outbound' ? 'outbound (this node dialed)' : 'inbound (it dialed this node)', p.direction === 'outbound' ? 'arrow-up' : 'arrow-down'),
      new DetailItem('Round-trip time', formatRtt(p.rttMs), 'dashboard'),
      new DetailItem('Connected since', formatTime(p.connectedAt), 'clock'),
    ];
  }
}
