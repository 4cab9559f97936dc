"""Heatmaps of pytorch-grad-cam (the peer) for a small CNN described in a JSON file written by agreement.ts.

Usage: PGC_DIR=/path/to/pytorch-grad-cam [TTACH_DIR=/path/to/ttach] python3 pgc_maps.py in.json out.json
The peer's source is read from PGC_DIR (never vendored here). One thread, CPU, float32.
"""
import json, os, sys
sys.path[:0] = [p for p in (os.environ.get('PGC_DIR'), os.environ.get('TTACH_DIR')) if p]
import numpy as np
import torch
torch.set_num_threads(1)
import pytorch_grad_cam as pgc
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection

class GradCAMPlusPlusNoEps(pgc.GradCAMPlusPlus):
    """The peer's pipeline with the paper's Eq. 19 written without the absolute eps (alpha = 0 where g == 0):
    isolates that one difference between the peer's Grad-CAM++ and ours."""
    def get_cam_weights(self, input_tensor, target_layers, target_category, activations, grads):
        total = activations.sum(axis=(2, 3))[:, :, None, None]
        with np.errstate(divide='ignore', invalid='ignore'):
            alpha = np.where(grads != 0, 1.0 / (2.0 + total * grads), 0.0)
        return (np.maximum(grads, 0) * alpha).sum(axis=(2, 3))


PEER = {
    'gradcam++ (peer without its eps)': GradCAMPlusPlusNoEps,
    'gradcam': pgc.GradCAM, 'gradcam++': pgc.GradCAMPlusPlus, 'xgradcam': pgc.XGradCAM, 'hirescam': pgc.HiResCAM,
    'layercam': pgc.LayerCAM, 'gradcam-elementwise': pgc.GradCAMElementWise, 'scorecam': pgc.ScoreCAM,
}


def build(spec):
    """nn.Sequential from [{type, ...}] with tfjs (HWIO / [in, out]) weights; every ReLU its own module."""
    mods, names = [], []
    for i, l in enumerate(spec['layers']):
        t = l['type']
        if t == 'conv':
            k = np.array(l['kernel'], dtype=np.float32).reshape(l['kernelShape'])   # kh, kw, in, out
            conv = torch.nn.Conv2d(k.shape[2], k.shape[3], k.shape[0], padding=k.shape[0] // 2)
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
            conv.bias.data = torch.tensor(l['bias'], dtype=torch.float32)
            mods.append(conv); names.append(l['name'])
            if l.get('relu'):
                mods.append(torch.nn.ReLU()); names.append(l['name'] + '/relu')
        elif t == 'maxpool':
            mods.append(torch.nn.MaxPool2d(2)); names.append(l['name'])
        elif t == 'gap':
            mods.append(torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())); names.append(l['name'])
        elif t == 'dense':
            k = np.array(l['kernel'], dtype=np.float32).reshape(l['kernelShape'])   # in, out
            d = torch.nn.Linear(k.shape[0], k.shape[1])
            d.weight.data = torch.from_numpy(np.ascontiguousarray(k.T))
            d.bias.data = torch.tensor(l['bias'], dtype=torch.float32)
            mods.append(d); names.append(l['name'])
    return torch.nn.Sequential(*mods).eval(), names


def main(src, dst):
    spec = json.load(open(src))
    model, names = build(spec)
    h, w, c = spec['inputShape']
    x = torch.from_numpy(np.array(spec['input'], dtype=np.float32).reshape(1, h, w, c).transpose(0, 3, 1, 2).copy())
    targets = [ClassifierOutputTarget(spec['classIndex'])]
    out = {'logits': model(x)[0].tolist(), 'maps': {}}
    for layer in spec['targets']:
        target = model[names.index(layer)]
        for method in spec['methods']:
            if method == 'eigencam':
                # the peer's projection on the first right singular vector, with OUR sign convention applied
                # (its sign is arbitrary there): the projection correlates positively with the channel-mean map
                acts = {}
                hook = target.register_forward_hook(lambda m, i, o: acts.__setitem__('a', o.detach().numpy()))
                model(x); hook.remove()
                a = acts['a']
                p = get_2d_projection(a)[0]
                mean = a[0].mean(axis=0)
                if np.sum((p - p.mean()) * (mean - mean.mean())) < 0:
                    p = -p
                cam = scale_cam_image(np.maximum(p, 0)[None], (w, h))[0]
            elif method in PEER:
                with PEER[method](model=model, target_layers=[target]) as cam_method:
                    if method == 'scorecam':
                        cam_method.batch_size = 64
                    cam = cam_method(input_tensor=x, targets=targets)[0]
            else:
                continue
            out['maps'][f'{layer}|{method}'] = np.asarray(cam, dtype=np.float32).ravel().tolist()
    json.dump(out, open(dst, 'w'))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
