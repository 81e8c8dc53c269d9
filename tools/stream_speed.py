"Training images/s of the main job's model (LfwCfg's: mnv4s 112 px, GDC neck, ArcFace, mild augmentation), faces decoded once into memory vs streamed from disk (0 and 2 DataLoader workers), on the mirror's celeba299 faces, measured in one run, each arm twice in turn (the better kept). python tools/stream_speed.py [batches]"
import sys, tempfile, pandas as pd, torch
from pathlib import Path
from dataclasses import replace
from facelab.data import get_dataset, scan_faces, split_closed
from facelab.train import face_dls, face_learner, pipeline_overhead
from facelab.verify import LfwCfg
n_batches = int(sys.argv[1]) if len(sys.argv) > 1 else 20
cfg = replace(LfwCfg().train, bs=64)
df = split_closed(scan_faces(get_dataset('celeba299')), 0.05, 0)
rows = []
for name, cache, workers in (('cached', True, 0), ('streamed', False, 0), ('streamed', False, 2))*2:
    torch.manual_seed(0)
    dls = face_dls(df, cfg.model.size, cfg.bs, cfg.aug, workers=workers, cache=cache, device='cpu')
    learn = face_learner(dls, cfg, Path(tempfile.mkdtemp())/'run')
    r = pipeline_overhead(learn, n_batches, reps=2)
    rows.append(dict(faces=name, workers=workers, train_img_s=round(r['end_to_end_img_s'], 1), model_img_s=round(r['model_img_s'], 1),
                     overhead=round(r['overhead'], 3), torch_threads=torch.get_num_threads()))
    print(rows[-1], flush=True)
best = pd.DataFrame(rows).sort_values('train_img_s').groupby(['faces', 'workers'], sort=False).tail(1).sort_index()
print(best.to_string(index=False))
best.to_csv('nbs/results/stream_speed.csv', index=False)
