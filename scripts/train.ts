// npm run train -- --model resnet50 --width 0.25 --out models/resnet50 [--epochs 30] [--scenes 4000] [--batch 32]
//   clip models: --model convlstm [--frames 10] [--stem strided|vgg|vgg3|vgg4] [--pool avg|max|gated] [--bidirectional] [--aux-gate 0.5 (with --pool gated)] (--scenes counts clips per epoch; --instances/--head/--fc do not apply;
//     --stem vgg|vgg3|vgg4 --transfer models/vgg16-digits copies VGG16's blocks 1-2 | 1-3 | 1-4 and keeps them frozen)
//   [--head gap|original] [--fc 256] [--checkpoint train-state/<name> --checkpoint-minutes 5]
//   [--lr 0.002] [--bn-momentum 0.9] [--init models/x --start-epoch 12] [--transfer models/resnet50-digits] [--float16] [--instances 1,2] [--seed 1] [--target 0.985] [--max-minutes 60] [--eval 1000] [--size 64]
import { parseArgs } from 'node:util';
import { train, TrainingStopped } from '../src/node/train.js';
import { MODEL_NAMES, type ModelName } from '../src/models/index.js';
import type { ConvLstmPool, ConvLstmStem } from '../src/models/convlstm.js';

const { values: v } = parseArgs({
  options: {
    model: { type: 'string' }, width: { type: 'string', default: '0.25' }, out: { type: 'string' },
    epochs: { type: 'string', default: '30' }, scenes: { type: 'string', default: '4000' }, batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.002' }, seed: { type: 'string', default: '1' }, target: { type: 'string', default: '0.985' },
    'max-minutes': { type: 'string', default: '60' }, eval: { type: 'string', default: '1000' }, size: { type: 'string', default: '64' },
    'bn-momentum': { type: 'string', default: '0.9' }, init: { type: 'string' }, transfer: { type: 'string' }, float16: { type: 'boolean', default: false }, 'no-drop-connect': { type: 'boolean', default: false }, 'start-epoch': { type: 'string', default: '0' },
    instances: { type: 'string' }, head: { type: 'string', default: 'gap' }, fc: { type: 'string' },
    stem: { type: 'string' }, pool: { type: 'string' }, bidirectional: { type: 'boolean', default: false }, 'aux-gate': { type: 'string' }, checkpoint: { type: 'string' }, 'checkpoint-minutes': { type: 'string', default: '5' }, frames: { type: 'string' },
  },
});
if (!v.model || !MODEL_NAMES.includes(v.model as ModelName)) {
  console.error(`--model must be one of ${MODEL_NAMES.join(', ')}`);
  process.exit(2);
}
const instances = v.instances ? (v.instances.split(',').map(Number) as [number, number]) : undefined;
if (instances && (instances.length !== 2 || !instances.every((n) => Number.isInteger(n) && n >= 1 && n <= 3) || instances[0] > instances[1])) {
  console.error('--instances must be min,max with 1 <= min <= max <= 3, e.g. 1,2');
  process.exit(2);
}
if (v.head !== 'gap' && v.head !== 'original') {
  console.error("--head must be 'gap' or 'original'");
  process.exit(2);
}
// SIGINT / SIGTERM: finish the batch in progress, write the checkpoint, exit.
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort());
const card = await train({ signal: stop.signal, instances, head: v.head, fcUnits: v.fc ? +v.fc : undefined,
  stem: v.stem as ConvLstmStem | undefined, pool: v.pool as ConvLstmPool | undefined, bidirectional: v.bidirectional, auxGate: v['aux-gate'] ? +v['aux-gate'] : undefined, checkpoint: v.checkpoint, checkpointMinutes: +v['checkpoint-minutes']!,
  model: v.model as ModelName, frames: v.frames ? +v.frames : undefined, width: +v.width!, out: v.out ?? `models/${v.model}`, epochs: +v.epochs!,
  scenesPerEpoch: +v.scenes!, batchSize: +v.batch!, learningRate: +v.lr!, seed: +v.seed!, targetAccuracy: +v.target!,
  maxMinutes: +v['max-minutes']!, evalScenes: +v.eval!, size: +v.size!, bnMomentum: +v['bn-momentum']!, init: v.init, transfer: v.transfer, float16: v.float16, dropConnect: !v['no-drop-connect'], startEpoch: +v['start-epoch']!,
}).catch((e: unknown) => {
  if (e instanceof TrainingStopped) { console.log(e.message); process.exit(0); }
  throw e;
});
console.log(JSON.stringify(card, null, 2));
