/** Which section of the demo a bundled model belongs to (light: the page and scripts/demo.ts both import it). */

/** A clip model: its card's inputShape is [T, H, W, C] (an image model's is [H, W, C]). */
export function isClipModel(m: { card?: unknown }): boolean {
  const s = (m.card as { inputShape?: unknown } | undefined)?.inputShape;
  return Array.isArray(s) && s.length === 4;
}

/** The input shape (without the batch) a model.json's layers topology declares, or undefined. */
export function topologyInputShape(modelJson: unknown): (number | null)[] | undefined {
  const t = (modelJson as { modelTopology?: { config?: unknown; model_config?: { config?: unknown } } })?.modelTopology;
  const config = (t?.model_config?.config ?? t?.config) as { layers?: { config?: { batch_input_shape?: (number | null)[] } }[] } | undefined;
  const shape = config?.layers?.find((l) => Array.isArray(l?.config?.batch_input_shape))?.config?.batch_input_shape;
  return shape ? shape.slice(1) : undefined;
}

/** The card, with inputShape from the model.json when the card has none (or no card). */
export function withInputShape<C extends Record<string, unknown>>(card: C | undefined, modelJson: unknown): C | Record<string, unknown> | undefined {
  if (Array.isArray(card?.inputShape)) return card;
  const inputShape = topologyInputShape(modelJson);
  return inputShape ? { ...card, inputShape } : card;
}
