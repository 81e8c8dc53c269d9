"""Training throughput (images/s, peak GPU memory, minutes per CASIA-WebFace epoch) of facelab's face models with an ArcFace loss on synthetic 112x112 faces. Run on a CUDA machine: python tools/gpu_bench.py --out results.csv

Each row times forward + ArcFace loss (s=64, m=0.5, 10,572 classes) + backward + SGD step (momentum 0.9) over 30 steps after 10 warm-up steps,
eager mode (no torch.compile), channels_last, bf16 autocast (plus one fp32 row for mnv4s). The batches are random tensors already on the GPU, so
no data pipeline is included: a real run's images/s can only be lower. `--smoke` checks the script on the CPU (batch 4, 2 steps, fp32).
Standalone on purpose: no fastai and no facelab import (facelab.models pulls in fastai through facelab.transforms); the model is rebuilt here
as facelab's FaceEmbedder with neck='gdc': timm backbone's last feature map -> depthwise conv over the whole map, BN, flatten, Linear(512), BN1d.
"""
import argparse, csv, math, sys, time
import torch, timm
import torch.nn as nn, torch.nn.functional as F

CASIA_IMAGES, CASIA_CLASSES, SIZE, EMB = 490_623, 10_572, 112, 512
BACKBONES = [('mnv4s', 'mobilenetv4_conv_small'), ('r50', 'resnet50'), ('convnext_t', 'convnext_tiny')]
COLS = ['backbone', 'timm_name', 'batch', 'precision', 'channels_last', 'images_per_s', 'peak_gib', 'casia_epoch_min', 'torch_version', 'gpu_name']

class GDCNeck(nn.Sequential):
    "As facelab.models.GDCNeck: a depthwise kernel the size of the last map `(c, h, w)`, BN, flatten, FC, BN"
    def __init__(self, shape, emb_dim=EMB):
        c, h, w = shape
        super().__init__(nn.Conv2d(c, c, (h, w), groups=c, bias=False), nn.BatchNorm2d(c), nn.Flatten(1),
                         nn.Linear(c, emb_dim, bias=False), nn.BatchNorm1d(emb_dim))

class Embedder(nn.Module):
    def __init__(self, timm_name, size=SIZE):
        super().__init__()
        self.backbone = timm.create_model(timm_name, pretrained=False, num_classes=0, global_pool='')
        self.backbone.eval()
        with torch.no_grad(): shape = tuple(self.backbone.forward_features(torch.zeros(1, 3, size, size)).shape[1:])
        self.backbone.train()
        self.neck = GDCNeck(shape)
    def forward(self, x): return self.neck(self.backbone.forward_features(x))

class ArcFaceHead(nn.Module):
    "cos = normalised embeddings @ normalised class weights (fp32); target logit cos(theta + m); all logits times s; cross-entropy"
    def __init__(self, emb_dim=EMB, n_classes=CASIA_CLASSES, s=64.0, m=0.5):
        super().__init__()
        self.weight, self.s, self.m = nn.Parameter(torch.randn(n_classes, emb_dim) * 0.01), s, m
    def forward(self, emb, y):
        with torch.autocast(emb.device.type, enabled=False):
            cos = F.linear(F.normalize(emb.float(), dim=1), F.normalize(self.weight.float(), dim=1))
            theta = torch.acos(cos.gather(1, y[:, None]).clamp(-1 + 1e-7, 1 - 1e-7))
            logits = cos.scatter(1, y[:, None], torch.cos(theta + self.m)) * self.s
            return F.cross_entropy(logits, y)

def bench(name, timm_name, bs, precision, device, warmup, steps, channels_last=True):
    torch.manual_seed(0)
    model, head = Embedder(timm_name).to(device), ArcFaceHead().to(device)
    if channels_last: model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(bs, 3, SIZE, SIZE, device=device)
    if channels_last: x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, CASIA_CLASSES, (bs,), device=device)
    cuda = device.type == 'cuda'
    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == 'bf16'):
            loss = head(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    for _ in range(warmup): step()
    if cuda: torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps): loss = step()
    if cuda: torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    if not math.isfinite(loss.item()): print(f'  warning: {name} {precision} loss is {loss.item()}', flush=True)
    ips = bs * steps / dt
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else float('nan')
    del model, head, opt, x, y
    if cuda: torch.cuda.empty_cache()
    return dict(backbone=name, timm_name=timm_name, batch=bs, precision=precision, channels_last=channels_last,
                images_per_s=round(ips, 1), peak_gib=round(peak, 2), casia_epoch_min=round(CASIA_IMAGES / ips / 60, 2),
                torch_version=torch.__version__, gpu_name=torch.cuda.get_device_name(0) if cuda else 'cpu')

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='gpu_throughput.csv', help='CSV to write (rewritten after each row)')
    p.add_argument('--smoke', action='store_true', help='CPU check: batch 4, 1 warm-up + 2 timed steps, fp32')
    a = p.parse_args()
    if a.smoke: device, bs, warmup, steps, precs = torch.device('cpu'), 4, 1, 2, ['fp32']
    else:
        if not torch.cuda.is_available(): sys.exit('no CUDA device (use --smoke on the CPU)')
        device, bs, warmup, steps, precs = torch.device('cuda'), 512, 10, 30, ['bf16']
        torch.backends.cudnn.benchmark = True
    runs = [(n, t, pr) for n, t in BACKBONES for pr in precs] + ([] if a.smoke else [('mnv4s', 'mobilenetv4_conv_small', 'fp32')])
    print(f'torch {torch.__version__}, timm {timm.__version__}, device {device}'
          + (f' ({torch.cuda.get_device_name(0)})' if device.type == 'cuda' else ''), flush=True)
    rows = []
    for name, timm_name, prec in runs:
        t0 = time.time()
        try: r = bench(name, timm_name, bs, prec, device, warmup, steps)
        except Exception as e:  # keep the other rows (an OOM, a missing timm model)
            print(f'  {name} {prec} failed: {type(e).__name__}: {str(e)[:300]}', flush=True)
            if device.type == 'cuda': torch.cuda.empty_cache()
            continue
        rows.append(r)
        print(f"  {name:10s} {prec:4s} bs{bs}: {r['images_per_s']:9.1f} img/s, peak {r['peak_gib']:6.2f} GiB, "
              f"CASIA epoch {r['casia_epoch_min']:8.2f} min  ({time.time() - t0:.0f} s)", flush=True)
        with open(a.out, 'w', newline='') as f:
            w = csv.DictWriter(f, COLS); w.writeheader(); w.writerows(rows)
    print()
    print(' | '.join(COLS)); print(' | '.join('---' for _ in COLS))
    for r in rows: print(' | '.join(str(r[c]) for c in COLS))
    if len(rows) < len(runs): sys.exit(f'{len(runs) - len(rows)} of {len(runs)} runs failed')

if __name__ == '__main__': main()
