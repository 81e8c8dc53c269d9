"""Chapter 11's test on photos neither the student nor its teacher's training saw: celeba10k's people outside celeba299
(chapter 07's second set, tight crops found and aligned by MTCNN), for each model given:
- pairs: every pair of those people's photos, TAR at the thresholds of FAR 1e-2 and 1e-3 among LFW's one-photo
  strangers (chapter 07's `tools/threshold_transfer.py`, whose functions and caches this reuses), and the FAR measured;
- open-set identification at the model's stored threshold: half the people (seeded, chapter 00's `split_open`) enrolled with one
  photo in a chapter 06 `Gallery`, the others' photos and the enrolled people's other photos as queries; open-set accuracy, DIR and FAR (chapter 06's
  `open_set_metrics`).
Writes nbs/results/student_unseen.csv, a row per model and measure.

    python tools/student_unseen.py runs/distill/cosine+arcface-e16-s42/model.pth runs/distill/arcface-e16-s42/model.pth
"""
import sys, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
import argparse
sys.path.insert(0, str(Path(__file__).parent))
from threshold_transfer import measure, celeba_people, _faces, _embed
from facelab.core import atomic_path
from facelab.data import UNKNOWN_ID, split_open
from facelab.verify import Gallery, open_set_metrics
from facelab.inference import FaceRecognition, RecCfg, load_embedder

def open_set(e:np.ndarray, ids:np.ndarray, t:float, seed:int=0) -> dict:
    "Open-set identification at threshold `t`: chapter 00's `split_open` (half the people enrolled with one face), chapter 06's `Gallery`"
    sp = split_open(pd.DataFrame(dict(identity=ids)), unknown_pct=0.5, gallery_per_id=1, dev_pct=0, seed=seed)
    known, q = (sp.split == 'known').to_numpy(), (sp.split != 'known').to_numpy()
    pred, _ = Gallery.of(e[known], ids[known].tolist()).identify(e[q], t)
    truth = sp.label[q].to_numpy()
    return dict(open_set_metrics(pred, truth), enrolled=int(known.sum()), known_queries=int((truth != UNKNOWN_ID).sum()),
                unknown_queries=int((truth == UNKNOWN_ID).sum()))

def main(models:list, out:str, cache:str, threads:int):
    "Pairs at FAR targets and open-set identification at the stored threshold on celeba10k's unseen people, per model"
    torch.set_num_threads(threads); cache, rows = Path(cache), []
    for m in models:
        emb = load_embedder(m, 'cpu')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            pair_rows = [r for r in measure(m, emb, cache, None, False, lfw=False) if r['test_set'].startswith('celeba10k') and 'among strangers' in r['candidate'] and not r['candidate'].startswith('s-norm')]
        rows += [dict(model=m, measure=f"pairs at {r['candidate']}", threshold=r['threshold'], tar=r['tar'], far=r['far'],
                      n_same=r['n_same'], n_diff=r['n_diff'], n_faces=r['n_faces']) for r in pair_rows]
        f, ids = _faces('celeba', celeba_people(), FaceRecognition(emb, RecCfg(kind='crop')), cache)
        e, t = _embed(emb, 'celeba', f, cache), emb.meta['threshold']
        o = open_set(e, ids, t)
        rows.append(dict(model=m, measure='open-set at the stored threshold', threshold=t, accuracy=o['accuracy'], dir=o['dir'], far=o['far'],
                         enrolled=o['enrolled'], known_queries=o['known_queries'], unknown_queries=o['unknown_queries'], n_faces=len(ids),
                         stored_threshold_source=emb.meta.get('threshold_source', '')))
    df = pd.DataFrame(rows)
    with atomic_path(Path(out)) as tmp: df.to_csv(tmp, index=False)
    print(df.drop(columns=['stored_threshold_source']).round(4).to_string())

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('models', nargs='+', help='facelab checkpoints (or any `--model` value)')
    ap.add_argument('--out', default='nbs/results/student_unseen.csv', help='the table')
    ap.add_argument('--cache', default='runs/threshold_cache', help='aligned faces and embeddings (shared with tools/threshold_transfer.py)')
    ap.add_argument('--threads', type=int, default=2, help='torch threads')
    a = ap.parse_args()
    main(a.models, a.out, a.cache, a.threads)
