// The vscode-free core of the sidebar trees: a view is a flat map of nodes keyed by stable ids
// (relid, register, page id...), built fresh from SimulationState on every move and diffed
// against the previous build so only the nodes that really changed are refreshed.
import type { SourceRef } from '../../../simulator';

/** A codicon id and an optional theme color id. */
export interface NodeIcon {
  id: string;
  color?: string;
}

export type Expand = 'none' | 'collapsed' | 'expanded';

export interface ViewNode {
  /** Stable across steps: keyed by what the node stands for, never by its position. */
  id: string;
  parent?: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  icon?: NodeIcon;
  /** Drives view/item/context menus. */
  contextValue?: string;
  expand: Expand;
  children: string[];
  /** Trace index this node stands for (a phase's begin event), revealed on click. */
  seq?: number;
  /** Scenario place to open on click. */
  source?: SourceRef;
  /** Channel relid for channel actions. */
  relid?: number;
  /** Highlight the whole label (the current position). */
  highlight?: boolean;
}

export interface TreeModel {
  roots: string[];
  nodes: Map<string, ViewNode>;
  /** One line for the view's title area (TreeView.description). */
  summary?: string;
}

export function emptyModel(): TreeModel {
  return { roots: [], nodes: new Map() };
}

/** Builds a model while keeping parent/children links consistent. */
export class ModelBuilder {
  readonly model: TreeModel = emptyModel();

  add(node: Omit<ViewNode, 'children' | 'parent' | 'expand'> & { expand?: Expand }, parent?: string, link = true): ViewNode {
    const full: ViewNode = { ...node, expand: node.expand ?? 'none', children: [], parent };
    if (this.model.nodes.has(full.id)) throw new Error(`duplicate tree node id ${full.id}`);
    this.model.nodes.set(full.id, full);
    if (link) this.link(full.id, parent);
    return full;
  }

  /**
   * Take over nodes of an earlier build unchanged (same objects, so the diff skips them at once).
   * nodes[0] is the subtree's top; the others must already be linked among themselves.
   */
  adopt(nodes: readonly ViewNode[], link: boolean): void {
    const map = this.model.nodes;
    for (let i = 0; i < nodes.length; i++) map.set(nodes[i].id, nodes[i]);
    if (link && nodes.length) this.link(nodes[0].id, nodes[0].parent);
  }

  private link(id: string, parent: string | undefined): void {
    if (parent === undefined) {
      this.model.roots.push(id);
    } else {
      const p = this.model.nodes.get(parent);
      if (!p) throw new Error(`unknown parent ${parent} for ${id}`);
      p.children.push(id);
      if (p.expand === 'none') p.expand = 'collapsed';
    }
  }

  get(id: string): ViewNode | undefined {
    return this.model.nodes.get(id);
  }

  build(summary?: string): TreeModel {
    this.model.summary = summary;
    return this.model;
  }
}

export interface ModelDiff {
  /** Roots changed: refresh the whole view. */
  full: boolean;
  /** Nodes to refresh (their item changed, or their children did); no node is listed with an ancestor. */
  changed: string[];
  summaryChanged: boolean;
}

function sameSource(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.file === b.file && a.line === b.line && a.column === b.column && a.endLine === b.endLine && a.endColumn === b.endColumn;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two builds of the same node render identically (item and children). */
export function sameNode(a: ViewNode, b: ViewNode): boolean {
  if (a === b) return true;
  return (
    a.label === b.label &&
    a.description === b.description &&
    a.tooltip === b.tooltip &&
    a.icon?.id === b.icon?.id &&
    a.icon?.color === b.icon?.color &&
    a.contextValue === b.contextValue &&
    a.expand === b.expand &&
    a.seq === b.seq &&
    a.relid === b.relid &&
    a.highlight === b.highlight &&
    a.parent === b.parent &&
    sameSource(a.source, b.source) &&
    sameList(a.children, b.children)
  );
}

/**
 * What to refresh going from prev to next. A node appears when it changed itself or its list of
 * children changed (an added, removed or moved child is refreshed through its parent). Nodes
 * whose ancestor is refreshed are left out: refreshing a node re-reads its subtree.
 */
export function diffModels(prev: TreeModel | undefined, next: TreeModel): ModelDiff {
  const summaryChanged = prev?.summary !== next.summary;
  if (!prev || !sameList(prev.roots, next.roots)) return { full: true, changed: [], summaryChanged };
  const changed = new Set<string>();
  for (const [id, node] of next.nodes) {
    const old = prev.nodes.get(id);
    if (!old) continue; // new node: its parent's children list changed
    if (!sameNode(old, node)) changed.add(id);
  }
  const out: string[] = [];
  for (const id of changed) {
    let p = next.nodes.get(id)?.parent;
    let covered = false;
    while (p !== undefined) {
      if (changed.has(p)) {
        covered = true;
        break;
      }
      p = next.nodes.get(p)?.parent;
    }
    if (!covered) out.push(id);
  }
  return { full: false, changed: out, summaryChanged };
}

/** Plain-object form of a model (tests, the integration API). */
export interface NodeSnapshot {
  id: string;
  label: string;
  description?: string;
  icon?: string;
  children: NodeSnapshot[];
}

export function snapshot(model: TreeModel, ids: readonly string[] = model.roots): NodeSnapshot[] {
  return ids.map((id) => {
    const n = model.nodes.get(id);
    if (!n) return { id, label: '?', children: [] };
    return { id, label: n.label, description: n.description, icon: n.icon?.id, children: snapshot(model, n.children) };
  });
}
