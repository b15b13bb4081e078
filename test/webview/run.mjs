// Runs the webview tests (mocha, ESM) against the already-built dist/webview bundle.
import Mocha from 'mocha';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const mocha = new Mocha({ timeout: 60000, reporter: 'spec' });
mocha.addFile(join(here, 'timeline.test.mjs'));
await mocha.loadFilesAsync();
mocha.run((failures) => { process.exitCode = failures ? 1 : 0; });
