// `node --import ./register-ts.mjs child.mjs`: installs ts-hooks.mjs before the child runs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
