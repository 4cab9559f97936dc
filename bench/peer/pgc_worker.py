"""A long-lived timing worker for the peer section of bench/explain.bench.ts: pytorch-grad-cam (the peer) on
torchvision's ResNet-50 (random weights, 224x224, CPU, float32, one thread).

Usage: PGC_DIR=/path/pytorch-grad-cam [TTACH_DIR=/path/ttach] OMP_NUM_THREADS=1 python3 pgc_worker.py
Reads one JSON request per line on stdin, answers one JSON line on stdout:
  {"cmd": "run", "what": "gradcam++" | "forward", "batch": n}  ->  {"wall": ms, "cpu": ms}   (one call, timed here)
  {"cmd": "run", "what": "scorecam", "batch": n}   ScoreCAM (batch_size 32) on torchvision's MobileNetV2 at features[17]
                                                   (320 channels, 7x7: 320 masked passes per image), random weights
  {"cmd": "info"}                                              ->  versions and thread count
The peer's source is read from PGC_DIR (never vendored here). The first line printed is {"ready": true}.
"""
import json, os, sys, time
sys.path[:0] = [p for p in (os.environ.get('PGC_DIR'), os.environ.get('TTACH_DIR')) if p]
import torch
torch.set_num_threads(1)
import torchvision
from pytorch_grad_cam import GradCAMPlusPlus, ScoreCAM

SIZE = 224
torch.manual_seed(1)
model = torchvision.models.resnet50(weights=None).eval()
cam = GradCAMPlusPlus(model=model, target_layers=[model.layer4[-1]])
inputs = {}
scorecam = None


def get_scorecam():
    global scorecam
    if scorecam is None:
        mnv2 = torchvision.models.mobilenet_v2(weights=None).eval()
        scorecam = ScoreCAM(model=mnv2, target_layers=[mnv2.features[17]])
        scorecam.batch_size = 32
    return scorecam


def batch(n):
    if n not in inputs:
        g = torch.Generator().manual_seed(7 + n)
        inputs[n] = torch.rand(n, 3, SIZE, SIZE, generator=g)
    return inputs[n]


def run(what, n):
    x = batch(n)
    c0, t0 = time.process_time(), time.perf_counter()
    if what == 'forward':
        with torch.no_grad():
            model(x)
    elif what == 'gradcam++':
        cam(input_tensor=x, targets=None)   # targets=None: the top-1 class of each image, as ours
    elif what == 'scorecam':
        get_scorecam()(input_tensor=x, targets=None)
    else:
        raise ValueError(f'unknown what {what!r}')
    return {'wall': (time.perf_counter() - t0) * 1000, 'cpu': (time.process_time() - c0) * 1000}


def main():
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if req['cmd'] == 'run':
                out = run(req['what'], int(req['batch']))
            elif req['cmd'] == 'info':
                out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'threads': torch.get_num_threads(),
                       'omp': os.environ.get('OMP_NUM_THREADS')}
            else:
                raise ValueError(f'unknown cmd {req["cmd"]!r}')
        except Exception as e:  # reported to the bench, which fails with the message
            out = {'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
