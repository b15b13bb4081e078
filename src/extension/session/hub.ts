// One engine session, several ways to drive and watch it. The debug adapter and the sidebar's
// stepping controls both publish the session they drive here; the trees and the timeline
// subscribe and re-render from session.inspect() and session.events() when it moves.
import * as vscode from 'vscode';
import type { SimulationSession } from '../../simulator';

export interface ActiveSimulation {
  session: SimulationSession;
  /** Scenario file the session came from. */
  uri?: vscode.Uri;
  /** 'debug' when a debug session drives it, 'sidebar' when the Negotiation view's buttons do, 'run' for a finished headless run. */
  driver: 'debug' | 'sidebar' | 'run';
  /** The debug session's id when driver = 'debug'. */
  debugSessionId?: string;
}

export class SessionHub implements vscode.Disposable {
  private current: ActiveSimulation | undefined;
  private readonly changed = new vscode.EventEmitter<ActiveSimulation | undefined>();
  private readonly moved = new vscode.EventEmitter<ActiveSimulation>();
  /** Fires when a different session becomes active (or none). */
  readonly onDidChangeSession = this.changed.event;
  /** Fires when the active session's position changes (step, step back, run). */
  readonly onDidMove = this.moved.event;
  /** Fires when a view asks to reveal an event (trace index) everywhere. */
  private readonly revealEmitter = new vscode.EventEmitter<number>();
  readonly onDidRequestReveal = this.revealEmitter.event;

  get active(): ActiveSimulation | undefined {
    return this.current;
  }

  setActive(sim: ActiveSimulation | undefined): void {
    this.current = sim;
    this.changed.fire(sim);
  }

  /** Call after any call that changed the active session's position. */
  notifyMoved(): void {
    if (this.current) this.moved.fire(this.current);
  }

  reveal(seq: number): void {
    this.revealEmitter.fire(seq);
  }

  dispose(): void {
    this.changed.dispose();
    this.moved.dispose();
    this.revealEmitter.dispose();
  }
}
