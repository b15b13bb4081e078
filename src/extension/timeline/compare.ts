// VMBus: Compare Designs — run one scenario under the probe-and-fallback design and under the
// CPUID design (or confidential against not), then show both runs aligned in the timeline with the
// events found in only one of them marked.
import * as vscode from 'vscode';
import type { SessionHub } from '../session/hub';
import { type ScenarioConfig, createSession, type Trace } from '../../simulator';
import { loadScenario, resolveScenarioUri } from '../views/actions';
import type { TimelineController } from './panel';
import { runWithProgress } from '../session/run';

export type ComparePair = 'designs' | 'confidential';

/** Run a config to its end (in slices, cancellable) and return its trace, or undefined if cancelled. */
async function runToEnd(config: ScenarioConfig, label: string, design?: 'probe' | 'cpuid'): Promise<Trace | undefined> {
  const s = createSession(config, design ? { design } : {});
  const stop = await runWithProgress(s, `Compare: running ${label}`);
  if (stop.reason === 'budget') void vscode.window.showWarningMessage(`Compare: ${label}: ${stop.description ?? 'the run exceeded its budget'}.`);
  return stop.reason === 'end' ? s.events() : undefined;
}

/** The same scenario with Confidential VMBus switched off in the paravisor. */
export function withoutConfidentialVmbus(config: ScenarioConfig): ScenarioConfig {
  return { ...config, platform: { ...config.platform, paravisor: { ...config.platform.paravisor, confidentialVmbus: false } } };
}

async function scenarioConfig(hub: SessionHub, arg: unknown, extensionUri: vscode.Uri): Promise<{ config: ScenarioConfig; uri?: vscode.Uri } | undefined> {
  // A Uri, or a scenario name as command links pass it (e.g. "fallback-probe").
  const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? await resolveScenarioUri(arg, extensionUri) : undefined;
  if (typeof arg === 'string' && !uri) {
    void vscode.window.showErrorMessage(`No scenario named ${arg}.`);
    return undefined;
  }
  if (uri) {
    const config = await loadScenario(uri);
    return config ? { config, uri } : undefined;
  }
  // The active editor, or else a visible one: run from the palette while the timeline has the
  // focus, the scenario is still on screen beside it.
  const active = vscode.window.activeTextEditor;
  const ed = active?.document.languageId === 'vmbus' ? active : vscode.window.visibleTextEditors.find((e) => e.document.languageId === 'vmbus');
  if (ed) {
    const config = await loadScenario(ed.document.uri);
    return config ? { config, uri: ed.document.uri } : undefined;
  }
  if (hub.active) return { config: hub.active.session.config, uri: hub.active.uri };
  void vscode.window.showInformationMessage('Open a .vmbus scenario (or run one) to compare its designs.');
  return undefined;
}

export function registerCompare(context: vscode.ExtensionContext, hub: SessionHub, timeline: TimelineController): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('vmbus.compareDesigns', async (arg?: unknown, pair?: ComparePair) => {
      const found = await scenarioConfig(hub, arg, context.extensionUri);
      if (!found) return false;
      const { config, uri } = found;
      const name = uri ? uri.path.split('/').pop() ?? config.name : config.name;
      try {
        if (pair === 'confidential') {
          const labels: [string, string] = ['Confidential VMBus', 'No Confidential VMBus'];
          const a = await runToEnd(config, labels[0]);
          const b = a && await runToEnd(withoutConfidentialVmbus(config), labels[1]);
          if (!a || !b) return false;
          timeline.showCompare({ title: `${name}: confidential ↔ not`, labels, a, b, vpCount: config.platform.vpCount, uri });
        } else {
          const labels: [string, string] = ['probe + fallback design', 'CPUID design'];
          const a = await runToEnd(config, labels[0], 'probe');
          const b = a && await runToEnd(config, labels[1], 'cpuid');
          if (!a || !b) return false;
          timeline.showCompare({ title: `${name}: probe ↔ cpuid`, labels, a, b, vpCount: config.platform.vpCount, uri });
        }
        return true;
      } catch (e) {
        void vscode.window.showErrorMessage(`Could not compare ${name}: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      }
    }),
  );
}
