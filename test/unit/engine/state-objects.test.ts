// State events name their object from one closed list (trace/events.ts StateObject): a misspelt or
// renamed object where events are made or matched (engine/projection.ts) is a compile error.
import * as assert from 'node:assert/strict';
import type { StateEvent, StateObject } from '../../../src/simulator/trace/events';

describe('trace: state event objects are typed', () => {
  it('matching on a name outside the list does not compile', () => {
    const e = { kind: 'state', party: 'guest', object: 'channel', from: 'none', to: 'offered' } as StateEvent;
    // @ts-expect-error 'chanel' is not a StateObject: the comparison has no overlap
    const misspelt = e.object === 'chanel';
    // @ts-expect-error an event cannot be made with an object the list lacks
    const bad: StateObject = 'channels';
    assert.equal(misspelt, false);
    assert.equal(e.object, 'channel');
    void bad;
  });
});
