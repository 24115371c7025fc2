// undici, loaded when first used. @actions/http-client (which @actions/core loads at start for
// its OIDC client) imports undici's ProxyAgent at the top of its module but only constructs
// one behind a proxy, and evaluating undici costs ~50 ms of every step's start. The bundle maps
// the bare name 'undici' to this file (tsconfig.bundle.json's paths, which ncc follows); every
// property read loads the real package, once.
'use strict';
let undici;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a require is what makes it lazy
const load = () => (undici ??= require('undici/index.js'));
module.exports = new Proxy(
  {},
  {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  },
);
