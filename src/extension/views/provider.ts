// One TreeDataProvider for every sidebar view: elements are the stable node ids of a TreeModel,
// and an update fires onDidChangeTreeData only with the nodes the diff says changed.
import * as vscode from 'vscode';
import { diffModels, emptyModel, type ModelDiff, type TreeModel, type ViewNode } from './model/node';
import { markFirstTree } from '../startupClock';

export const REVEAL_COMMAND = 'vmbus.views.revealNode';

export class ModelTreeProvider implements vscode.TreeDataProvider<string>, vscode.Disposable {
  private model: TreeModel = emptyModel();
  private readonly emitter = new vscode.EventEmitter<string | string[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Count of elements fired by the last update (tests, bench). */
  lastFired: number | 'all' = 0;

  constructor(readonly viewId: string) {}

  get current(): TreeModel {
    return this.model;
  }

  node(id: string): ViewNode | undefined {
    return this.model.nodes.get(id);
  }

  /** Swap in a new build; fires only what changed. */
  update(next: TreeModel): ModelDiff {
    const diff = diffModels(this.model, next);
    this.previous = this.model;
    this.model = next;
    if (diff.full) {
      this.lastFired = 'all';
      this.rendered.clear();
      // One full refresh at a time: if the tree has not read the last one yet, it will read this build.
      if (!this.awaitingRoot) this.emitter.fire(undefined);
      this.awaitingRoot = true;
      return diff;
    }
    // A full refresh not yet read by the tree will read this build anyway; and nodes the tree
    // never showed (under collapsed parents) are read fresh when their parent expands. Firing
    // either would name elements the tree does not know.
    const fire = this.awaitingRoot ? [] : diff.changed.filter((id) => this.rendered.has(id));
    this.lastFired = fire.length;
    if (fire.length) this.emitter.fire(fire);
    return diff;
  }

  /** Whether the tree has read the last full refresh (so it knows the current nodes). */
  get settled(): boolean {
    return !this.awaitingRoot;
  }

  /** Resolves once the tree has read the last full refresh, or after timeoutMs. */
  async whenSettled(timeoutMs = 1000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.awaitingRoot && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return !this.awaitingRoot;
  }

  /** The build before the current one: the tree may still resolve elements it listed from it. */
  private previous: TreeModel = emptyModel();

  /** Ids the tree has asked items for since the last full refresh. */
  private readonly rendered = new Set<string>();
  private awaitingRoot = false;

  getChildren(element?: string): string[] {
    if (element === undefined) {
      markFirstTree(this.viewId);
      this.awaitingRoot = false;
      return this.model.roots;
    }
    return this.model.nodes.get(element)?.children ?? [];
  }

  getParent(element: string): string | undefined {
    return (this.model.nodes.get(element) ?? this.previous.nodes.get(element))?.parent;
  }

  getTreeItem(element: string): vscode.TreeItem {
    const n = this.model.nodes.get(element) ?? this.previous.nodes.get(element);
    if (!n) {
      // Listed by a build two swaps ago; a refresh that replaces it is on its way.
      const gone = new vscode.TreeItem('…');
      gone.id = element;
      return gone;
    }
    this.rendered.add(element);
    const label: vscode.TreeItemLabel = { label: n.label, highlights: n.highlight ? [[0, n.label.length]] : undefined };
    const state =
      n.expand === 'expanded'
        ? vscode.TreeItemCollapsibleState.Expanded
        : n.expand === 'collapsed'
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(label, state);
    item.id = n.id;
    item.description = n.description;
    if (n.tooltip) {
      const md = new vscode.MarkdownString(n.tooltip);
      md.supportThemeIcons = true;
      item.tooltip = md;
    }
    if (n.icon) item.iconPath = new vscode.ThemeIcon(n.icon.id, n.icon.color ? new vscode.ThemeColor(n.icon.color) : undefined);
    item.contextValue = n.contextValue;
    item.accessibilityInformation = { label: n.description ? `${n.label}, ${n.description}` : n.label };
    if (n.seq !== undefined || n.source) {
      item.command = { command: REVEAL_COMMAND, title: 'Reveal', arguments: [this.viewId, n.id] };
    }
    return item;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
