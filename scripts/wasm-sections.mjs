// A tiny reader of a WebAssembly binary's section list (no dependency): what scripts/build-wasm.mjs and
// test/zero-copy.test.ts use to prove the kernels variants that import tfjs's memory carry no data segments
// and no globals (nothing of theirs may sit in, or be written at start into, the memory they share).
const NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element',
  'code', 'data', 'datacount'];

/** The sections of a module, in order: { id, name, size, count } (count: entries, for the vector sections). */
export function wasmSections(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let p = 8;
  const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const out = [];
  while (p < b.length) {
    const id = b[p++], size = leb(), start = p;
    const count = id >= 1 && id <= 12 && id !== 8 ? leb() : undefined;
    out.push({ id, name: NAMES[id] ?? `unknown ${id}`, size, ...(count !== undefined ? { count } : {}) });
    p = start + size;
  }
  return out;
}

/** Why a module may not share another module's memory ('' if it may): data segments, globals, a start function. */
export function sharingProblems(bytes) {
  const bad = wasmSections(bytes).filter((s) => (s.name === 'data' || s.name === 'global') ? s.count > 0 :
    s.name === 'start' || s.name === 'datacount');
  return bad.map((s) => `${s.count ?? ''} ${s.name}`.trim()).join(', ');
}
