/** The part of gifenc@1 (MIT, CommonJS) that src/node/animation.ts uses. */
declare module 'gifenc' {
  type Palette = number[][];
  interface FrameOptions { palette?: Palette; delay?: number; repeat?: number; transparent?: boolean; dispose?: number }
  interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: FrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  interface Gifenc {
    GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): Encoder;
    quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, opts?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' }): Palette;
    applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: 'rgb565' | 'rgb444' | 'rgba4444'): Uint8Array;
  }
  const gifenc: Gifenc;
  export default gifenc;
}
