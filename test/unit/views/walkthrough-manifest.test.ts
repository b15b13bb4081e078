// The "Get Started with VMBus Lab" walkthrough as contributed in package.json: steps complete on
// what the user does, and the media shows the example the step opens.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Step { id: string; completionEvents?: string[]; media?: { svg?: string; altText?: string } }
const walkthrough = (manifest.contributes.walkthroughs as { id: string; steps: Step[] }[]).find((w) => w.id === 'vmbus.gettingStarted')!;
const vmbusViews = new Set<string>((manifest.contributes.views.vmbus as { id: string }[]).map((v) => v.id));

describe('walkthrough manifest', () => {
  it('has the getting-started walkthrough', () => {
    assert.ok(walkthrough);
    assert.ok(walkthrough.steps.length >= 4);
  });

  it('no step completes just because a VMBus view is visible', () => {
    // The walkthrough is opened from the VMBus container's own welcome text, so its views are
    // already visible then: an onView: event would tick the step before the user did anything.
    for (const s of walkthrough.steps) {
      for (const e of s.completionEvents ?? []) {
        const m = /^onView:(.+)$/.exec(e);
        assert.ok(!m || !vmbusViews.has(m[1]), `step ${s.id} completes on ${e}`);
      }
    }
  });

  it('the "Open an example" picture shows the fallback-probe example as it is', () => {
    const step = walkthrough.steps.find((s) => s.id === 'openExample')!;
    const svg = fs.readFileSync(path.join(ROOT, step.media!.svg!), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, 'examples', 'fallback-probe.vmbus'), 'utf8');
    const hosts = (text: string) => [...text.matchAll(/hosted_by\s+(\w+)/g)].map((m) => m[1]);
    assert.deepEqual(hosts(svg), hosts(example));
    // The paravisor of this example has no VMBus server, so it offers nothing.
    assert.doesNotMatch(step.media!.altText!, /disk it offers/);
  });

  it('the hover callout in that picture fits its box whatever the monospace font', () => {
    const step = walkthrough.steps.find((s) => s.id === 'openExample')!;
    const svg = fs.readFileSync(path.join(ROOT, step.media!.svg!), 'utf8');
    const box = /<rect x="(\d+)" y="\d+" width="(\d+)"[^>]*editorHoverWidget-background/.exec(svg);
    assert.ok(box, 'a hover box');
    const [x, w] = [Number(box[1]), Number(box[2])];
    const lines = [...svg.matchAll(/<text x="(\d+)"[^>]*editorHoverWidget-foreground[^>]*>/g)];
    assert.ok(lines.length > 0);
    for (const l of lines) {
      const len = /textLength="(\d+)"/.exec(l[0]);
      assert.ok(len, `fixed length for ${l[0]}`);
      assert.ok(Number(l[1]) >= x && Number(l[1]) + Number(len[1]) <= x + w, `${l[0]} inside x=${x} w=${w}`);
    }
  });
});
