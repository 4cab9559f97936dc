/** Which section of the demo a bundled model belongs to (light: the page and scripts/demo.ts both import it). */

/** A clip model: its card's inputShape is [T, H, W, C] (an image model's is [H, W, C]). */
export function isClipModel(m: { card?: unknown }): boolean {
  const s = (m.card as { inputShape?: unknown } | undefined)?.inputShape;
  return Array.isArray(s) && s.length === 4;
}
