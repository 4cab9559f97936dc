/** Explanations of clip models over time (ConvLSTM): explainSequence and its types. */
export { explainSequence, SEQUENCE_METHOD_NAMES } from './explain.js';
export type { SequenceExplanation, SequenceOptions } from './explain.js';
export type { ClipInput } from './clip.js';
export { sequenceCandidates } from './plan.js';
