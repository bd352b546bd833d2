// CommonJS entry of `node --require @spyglass/instrumentation/register`. The SDK is compiled as ES modules, which
// require() loads on Node >= 20.19 / 22.12; older Node versions can use `--import` (it also works for CommonJS apps).
'use strict';
if (!process.features.require_module) {
  throw new Error('@spyglass/instrumentation/register: --require needs Node >= 20.19 (require of ES modules); use --import instead');
}
require('./dist/register.js');
