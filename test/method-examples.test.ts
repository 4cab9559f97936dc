/** Every method file's @example runs (on a small CNN with layers conv2, conv4) and gives a map of that method. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExplainer, useWasmBackend, METHODS } from '../src/index.js';

await useWasmBackend();
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'methods');
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<unknown>;

const input = tf.input({ shape: [16, 16, 3] });
let y = input as tf.SymbolicTensor;
for (const [i, name] of ['conv2', 'conv4', 'conv5'].entries()) {
  y = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name, kernelInitializer: tf.initializers.glorotNormal({ seed: i + 1 }) }).apply(y) as tf.SymbolicTensor;
}
y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }).apply(y) as tf.SymbolicTensor });
const image = tf.randomUniform([16, 16, 3], 0, 1, 'float32', 3);

const examples = suite('method doc examples');

examples('each method file has an @example that runs and explains with that method', async () => {
  const files = readdirSync(dir).filter((f) => !['registry.ts', 'types.ts', 'applies.ts'].includes(f));
  assert.is(files.length, METHODS.length, 'one file per registry entry');
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const m = /@example\n((?: \*.*\n)+?) \*\//.exec(text);
    assert.ok(m, `${f}: an @example`);
    const code = m![1].split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n');
    const name = /name: '([^']+)'/.exec(text)![1];
    const r = await new AsyncFunction('createExplainer', 'model', 'image', `${code}\nreturn r;`)(createExplainer, model, image) as
      { explanations: { method: string; heatmap: Float32Array }[] };
    const e = r.explanations.find((x) => x.method === name);
    assert.ok(e, `${f}: explains with ${name}`);
    assert.is(e!.heatmap.length, 256, f);
    assert.ok(e!.heatmap.every((v) => v >= 0 && v <= 1), f);
  }
});

examples.run();
