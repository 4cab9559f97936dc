/**
 * Typed errors. Every message says what went wrong and what to do next.
 */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'UNKNOWN_LAYER'
  | 'NO_TARGET_LAYER'
  | 'METHOD_NOT_APPLICABLE'
  | 'UNKNOWN_METHOD'
  | 'CLASS_INDEX_OUT_OF_RANGE'
  | 'UNSUPPORTED_MODEL'
  | 'NUMERICAL'
  | 'DISPOSED'
  | 'BACKEND'
  | 'MODEL_FILE'
  | 'WASM_BACKEND'
  | 'WORKER';

export class GradCamError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The image or another argument has the wrong shape, type or values. */
export class InvalidInputError extends GradCamError {
  constructor(message: string) { super('INVALID_INPUT', message); }
}

/** How many candidate names an UnknownLayerError message shows (all are in `candidates`). */
const SHOWN_CANDIDATES = 12;

/** `layer` names no layer (or graph node) usable as a target. `candidates` lists the ones that are. */
export class UnknownLayerError extends GradCamError {
  readonly candidates: string[];
  constructor(name: string, candidates: string[], kind = 'Layers with a 4-D spatial output') {
    const shown = candidates.length > SHOWN_CANDIDATES
      ? `${candidates.slice(-SHOWN_CANDIDATES).join(', ')} (the last ${SHOWN_CANDIDATES} of ${candidates.length}; ` +
        'error.candidates lists all)'
      : candidates.length ? candidates.join(', ') : '(none)';
    super('UNKNOWN_LAYER', `No usable target layer named "${name}". ${kind}: ${shown}.`);
    this.candidates = candidates;
  }
}

/** The model has no layer with a 4-D output of spatial size > 1. */
export class NoTargetLayerError extends GradCamError {
  constructor(message: string) { super('NO_TARGET_LAYER', message); }
}

/** The method cannot run on this model (e.g. CAM without target -> GAP -> Dense). */
export class MethodNotApplicableError extends GradCamError {
  readonly method: string;
  constructor(method: string, message: string) {
    super('METHOD_NOT_APPLICABLE', message);
    this.method = method;
  }
}

export class UnknownMethodError extends GradCamError {
  constructor(name: string, known: readonly string[]) {
    super('UNKNOWN_METHOD', `Unknown method "${name}". Known methods: ${known.join(', ')}.`);
  }
}

export class ClassIndexError extends GradCamError {
  constructor(index: number, numClasses: number) {
    super('CLASS_INDEX_OUT_OF_RANGE',
      `classIndex ${index} is out of range: the model has ${numClasses} classes (0..${numClasses - 1}).`);
  }
}

export class UnsupportedModelError extends GradCamError {
  constructor(message: string) { super('UNSUPPORTED_MODEL', message); }
}

/** The model produced non-finite values (NaN or Infinity) for this input. */
export class NumericalError extends GradCamError {
  constructor(message: string) { super('NUMERICAL', message); }
}

export class DisposedError extends GradCamError {
  constructor(what: string) { super('DISPOSED', `${what} was disposed; create a new one.`); }
}

/**
 * The tfjs backend is not the one asked for. The library does not switch an app's backend by itself:
 * the message says how to (useWasmBackend(), or the `backend` option).
 */
export class BackendError extends GradCamError {
  constructor(message: string) { super('BACKEND', message); }
}

/** A model file (model.json, weights, labels.json) is missing, malformed, too large or outside the model folder. */
export class ModelFileError extends GradCamError {
  readonly file: string;
  constructor(file: string, message: string) {
    super('MODEL_FILE', message);
    this.file = file;
  }
}

/** The tfjs wasm backend could not start (most often: its .wasm files are not where the page looks). */
export class WasmBackendError extends GradCamError {
  constructor(message: string) { super('WASM_BACKEND', message); }
}

/**
 * A worker thread of an explainer pool failed outside the library's own checks (it crashed, ran out of memory,
 * exited, or threw an untyped error). The message carries the worker's own message; `cause` its error.
 */
export class WorkerError extends GradCamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WORKER', message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
