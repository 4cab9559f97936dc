/**
 * The browser entry: everything in the main entry, and a default path for the tfjs wasm binaries:
 * the folder this bundle is served from (dist/browser/ ships them). Call setWasmBackendPath(url)
 * before the first explanation to serve them from elsewhere.
 */
import { setWasmBackendPath } from './backend/index.js';

export * from './index.js';

try {
  setWasmBackendPath(new URL('./', import.meta.url).href);
} catch {
  // import.meta.url is unavailable in some bundlers; then the caller sets the path.
}
export * as tf from '@tensorflow/tfjs';
