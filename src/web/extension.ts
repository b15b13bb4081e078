// Entry of the web worker extension host (package.json `browser`; VS Code for the Web): the same
// activate() as the Node entry, without Node. Built by scripts/build.mjs for platform browser, so
// importing a Node module anywhere below fails the build. First import: the startup clock.
import '../extension/startupClock';

export { activate, deactivate } from '../extension/activate';
