/**
 * Compilation and instantiation of the AssemblyScript kernels module. The .wasm bytes are embedded as base64 in
 * kernels-wasm.generated.ts (written by scripts/build-wasm.mjs), so this works the same in Node and in
 * browsers: no file path, no fetch. Decoding uses atob (Node >= 16 and every browser).
 * The exports must be exactly those of the table (src/kernels/table.ts), each with the table's arity.
 * Three builds of the same source (scripts/build-wasm.mjs): 'own' has its own memory (the one-copy path);
 * 'imported' and 'shared' import tfjs-wasm's memory as env.memory (the zero-copy path; 'shared' for the threaded
 * tfjs binary, whose memory is a shared one).
 */
import { KERNEL_NAMES, PARSED, type KernelName } from '../table.js';

/** The exports of assembly/index.ts. Pointers are byte offsets into `memory`; arguments as in the table. */
export type KernelExports = { readonly memory: WebAssembly.Memory; heapBase(): number } &
  { readonly [N in KernelName]: (...args: number[]) => void };

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export type KernelsBuild = 'own' | 'imported' | 'shared';

const bytesPromises: Partial<Record<KernelsBuild, Promise<Uint8Array<ArrayBuffer>>>> = {};

/** A build's bytes (decoded once). */
export function kernelsWasmBytes(build: KernelsBuild = 'own'): Promise<Uint8Array<ArrayBuffer>> {
  if (!bytesPromises[build]) {
    bytesPromises[build] = import('./kernels-wasm.generated.js').then(
      (m) => decodeBase64(build === 'own' ? m.KERNELS_WASM_BASE64
        : build === 'imported' ? m.KERNELS_WASM_IMPORTED_BASE64 : m.KERNELS_WASM_SHARED_BASE64),
      (e: unknown) => {
        delete bytesPromises[build];
        throw new Error('The AssemblyScript kernels are not built (src/kernels/wasm/kernels-wasm.generated.ts is missing): ' +
          `run \`npm run asbuild\` (node scripts/build-wasm.mjs). Cause: ${(e as Error)?.message ?? e}`);
      });
  }
  return bytesPromises[build]!;
}

/** A new compilation of a build (what a cold start costs). */
export async function compileKernels(build: KernelsBuild = 'own'): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await kernelsWasmBytes(build));
}

const sharedModules: Partial<Record<KernelsBuild, Promise<WebAssembly.Module>>> = {};

/** The process-wide compiled module of a build: compiled once, on first use. */
export function sharedKernelsModule(build: KernelsBuild = 'own'): Promise<WebAssembly.Module> {
  if (!sharedModules[build]) {
    const p = sharedModules[build] = compileKernels(build);
    p.catch(() => { delete sharedModules[build]; });
  }
  return sharedModules[build]!;
}

/** The exports of an instance, checked against the table (names and arities). */
export function checkExports(instance: WebAssembly.Instance): KernelExports {
  const ex = instance.exports as Record<string, unknown>;
  for (const name of ['memory', 'heapBase', ...KERNEL_NAMES]) {
    if (!(name in ex)) throw new Error(`The kernels module lacks the export "${name}": rebuild it with \`npm run asbuild\`.`);
  }
  for (const name of KERNEL_NAMES) {
    const want = PARSED[name].params.length + PARSED[name].host.length;
    const have = (ex[name] as (...a: number[]) => void).length;
    if (have !== want) {
      throw new Error(`The kernels module's "${name}" takes ${have} arguments but the table gives ${want}: ` +
        'rebuild it with `npm run asbuild`, or fix src/kernels/table.ts.');
    }
  }
  return ex as unknown as KernelExports;
}

/**
 * A new instance of a compiled module (asynchronous: allowed on a browser's main thread): with its own memory,
 * or, for the 'imported' / 'shared' builds, over the memory given.
 */
export async function instantiateKernels(module: WebAssembly.Module, memory?: WebAssembly.Memory): Promise<KernelExports> {
  return checkExports(await WebAssembly.instantiate(module, memory ? { env: { memory } } : {}));
}

/**
 * A new instance, synchronously; null where that is not allowed (browsers refuse synchronous instantiation of
 * modules above 4 KB on the main thread).
 */
export function instantiateKernelsSync(module: WebAssembly.Module): KernelExports | null {
  try {
    return checkExports(new WebAssembly.Instance(module, {}));
  } catch {
    return null;
  }
}
