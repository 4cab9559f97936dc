/**
 * Instantiation of the AssemblyScript kernels module. The .wasm bytes are embedded as base64 in
 * kernels-wasm.generated.ts (written by scripts/build-wasm.mjs), so this works the same in Node and in
 * browsers: no file path, no fetch. Decoding uses atob (Node >= 16 and every browser).
 */

/** The exports of assembly/index.ts, typed once. Pointers are byte offsets into `memory`. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  camWeights(kernel: number, K: number, numClasses: number, c: number, out: number): void;
  gradcamWeights(g: number, Z: number, K: number, out: number): void;
  gradcamppWeights(a: number, g: number, Z: number, K: number, scratch: number, out: number, eps: number): void;
  gradcamppAlpha(a: number, g: number, Z: number, K: number, scratch: number, out: number, eps: number): void;
  weightedSum(a: number, w: number, Z: number, K: number, out: number): void;
  reluNormalize(x: number, n: number, eps: number): void;
  resizeBilinear(src: number, h: number, w: number, dst: number, H: number, W: number): void;
  colormap(heat: number, n: number, out: number, lut: number): void;
  overlay(rgba: number, heat: number, n: number, alpha: number, out: number, lut: number): void;
  explanationMap(img: number, heat: number, n: number, C: number, out: number): void;
}

const EXPORT_NAMES: ReadonlyArray<keyof KernelExports> = [
  'memory', 'heapBase', 'camWeights', 'gradcamWeights', 'gradcamppWeights', 'gradcamppAlpha', 'weightedSum',
  'reluNormalize', 'resizeBilinear', 'colormap', 'overlay', 'explanationMap',
];

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let bytesPromise: Promise<Uint8Array<ArrayBuffer>> | null = null;

/** The module's bytes (decoded once). */
export function kernelsWasmBytes(): Promise<Uint8Array<ArrayBuffer>> {
  if (!bytesPromise) {
    bytesPromise = import('./kernels-wasm.generated.js').then(
      (m) => decodeBase64(m.KERNELS_WASM_BASE64),
      (e: unknown) => {
        bytesPromise = null;
        throw new Error('The AssemblyScript kernels are not built (src/bindings/kernels-wasm.generated.ts is missing): ' +
          `run \`npm run asbuild\` (node scripts/build-wasm.mjs). Cause: ${(e as Error)?.message ?? e}`);
      });
  }
  return bytesPromise;
}

/**
 * A new instance of the kernels module, with its own memory. Each call compiles and instantiates afresh
 * (WebAssembly.instantiate of the bytes): use loadKernelExports() for the shared one.
 */
export async function instantiateKernelExports(): Promise<KernelExports> {
  const bytes = await kernelsWasmBytes();
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const ex = instance.exports as Record<string, unknown>;
  for (const name of EXPORT_NAMES) {
    if (!(name in ex)) {
      throw new Error(`The kernels module lacks the export "${name}": rebuild it with \`npm run asbuild\`.`);
    }
  }
  return ex as unknown as KernelExports;
}

let shared: Promise<KernelExports> | null = null;

/** The process-wide instance of the kernels module: instantiated once, on first use, then cached. */
export function loadKernelExports(): Promise<KernelExports> {
  if (!shared) {
    shared = instantiateKernelExports();
    shared.catch(() => { shared = null; });
  }
  return shared;
}
