"GPU smoke test of the training path (one device for model, batches and outputs; bf16; DataLoader workers) on celeba299 from the mirror. Run on a CUDA machine: FACELAB_MIRROR=<mirror> python tools/gpu_smoke.py"
import time, json, os, sys, subprocess, torch
from facelab.core import default_device
from facelab.data import get_dataset, scan_faces, split_closed
from facelab.train import TrainCfg, face_dls, face_learner, fit_face, pipeline_overhead, epochs_for_budget, FaceInterpretation
from facelab.losses import MarginCfg, class_angles, plot_angles
from facelab.verify import extract_embeddings, Gallery
print('device', default_device(), torch.cuda.get_device_name(0), 'torch', torch.__version__)
root = get_dataset('celeba299')
df = split_closed(scan_faces(root), 0.1, 0)
res = {}
for workers in (0, 8):
    dls = face_dls(df, 112, 256, 'mild', workers=workers)
    cfg = TrainCfg(loss='arcface', loss_cfg=MarginCfg(scale=32, schedule=True, ramp=0.5), epochs=4, bs=256, workers=workers)
    learn = face_learner(dls, cfg, f'/tmp/run{workers}')
    po = pipeline_overhead(learn, 8)
    n = epochs_for_budget(learn, 0.5)
    t0 = time.time()
    with learn.no_bar(): fit_face(learn)
    t = time.time() - t0
    vl, acc, top5 = map(float, learn.validate())
    res[workers] = dict(overhead=round(po['overhead'], 3), e2e_img_s=round(po['end_to_end_img_s']), model_img_s=round(po['model_img_s']),
                        epochs_in_half_min=n, fit_s=round(t, 1), img_s=round(len(dls.train)*256*4/t), valid_acc=round(acc, 3))
    print(workers, res[workers], flush=True)
emb = extract_embeddings(learn.model, df.path[:512].tolist(), progress=False)
assert emb.device.type == 'cpu' and emb.shape == (512, 512)
g = Gallery.of(emb, df.identity[:512].tolist())
print('gallery', g, 'self-search top1', g.ids[g.search(emb, 1)[1][0, 0]] == g.ids[0])
t, nt = class_angles(learn); plot_angles(learn)
print('angles', float(t.mean()), float(nt.mean()))
interp = FaceInterpretation.from_learner(learn); print(interp.top_losses(3))
r = subprocess.run([sys.executable, '-m', 'facelab.cli', 'train', str(root), '--epochs', '2', '--bs', '256', '--loss', 'cosface', '--schedule', '--workers', '8', '--out', '/tmp/cli'], capture_output=True, text=True)
print('cli rc', r.returncode, r.stdout[-300:], r.stderr[-1500:] if r.returncode else '')
json.dump(res, open(os.path.join(os.environ.get('OUT', '.'), 'smoke.json'), 'w'))
