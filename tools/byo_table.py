"""Chapter 11's table: a facelab model, the same model as an ONNX file in insightface's conventions, and dlib's ResNet,
measured in one run on this machine: LFW folds 6-10 accuracy (3,000 pairs, 5-fold thresholds) and TAR at FAR 1e-3 on
chapter 01's aligned faces, milliseconds per raw photo through `FaceRecognition` (detect + align + embed, flip TTA as
each model's default, one photo at a time), and the size of the model's files. Writes nbs/results/byo_models.csv.

    python tools/byo_table.py --model runs/lfw/model.pth
"""
import os, platform, tempfile, time
from pathlib import Path
import pandas as pd, torch
from fastcore.script import call_parse
from facelab.data import get_dataset, read_lfw_pairs
from facelab.verify import TEST_FOLDS, verification_metrics
from facelab.inference import FaceRecognition, TorchEmbedder, OnnxEmbedder, export_insightface_onnx, _per_photo_ms
from facelab.models import load_face_model
from facelab.teacher import DlibEmbedder, dlib_model_files, lfw_aligned_pairs, lfw_scores

def _cpu() -> str:
    "The CPU's model name and the threads torch uses"
    name = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), platform.processor()) \
        if Path('/proc/cpuinfo').exists() else platform.processor()
    return f"{name}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"

def _scores(name:str, emb, pairs:pd.DataFrame, cache:str) -> tuple:
    "`(scored pairs, seconds)`: LFW scores of `emb`, read from `cache` when the same model scored the same pairs before"
    f = Path(cache)/f"{emb.model_id}-{len(pairs)}.csv" if cache else None
    if f is not None and f.exists():
        s = pd.read_csv(f)
        if s[['path_a', 'path_b']].equals(pairs[['path_a', 'path_b']]): return pairs.assign(score=s.score.to_numpy()), 0.0
    t = time.perf_counter(); s = lfw_scores(emb, pairs); sec = time.perf_counter() - t
    if f is not None: f.parent.mkdir(parents=True, exist_ok=True); s[['path_a', 'path_b', 'score']].to_csv(f, index=False)
    return s, sec

def _row(name:str, emb, mb:float, pairs:pd.DataFrame, photos:list, cache:str='') -> dict:
    "One model's row: LFW folds 6-10 accuracy and TAR@FAR=1e-3, ms per raw photo, size"
    s, lfw_s = _scores(name, emb, pairs, cache)
    m = verification_metrics(s.score, s.same, s.fold)
    fr = FaceRecognition(emb)
    ms = _per_photo_ms(lambda p: fr.embed([p]), photos)
    print(f"{name}: {m['accuracy']:.4f} ± {m['accuracy_std']:.4f}, TAR@FAR=1e-3 {m['tar@far=0.001']:.4f}, {ms:.1f} ms/photo ({lfw_s:.0f} s for LFW)", flush=True)
    return dict(model=name, lfw_6_10_accuracy=m['accuracy'], lfw_6_10_std=m['accuracy_std'], tar_far_1e_3=m['tar@far=0.001'], auc=m['auc'],
                ms_per_photo=ms, model_mb=mb, emb_dim=emb.cfg.emb_dim, tta=fr.cfg.tta, pairs=len(s), photos_timed=len(photos))

@call_parse
def main(model:str='runs/lfw/model.pth', # the facelab checkpoint to compare (what `make demo` writes)
         n_speed:int=100, # raw LFW photos (folds 6-10) timed one at a time through `FaceRecognition`
         per_fold:int=0, # LFW pairs per fold (0: all 600, 3,000 in all)
         out:str='nbs/results/byo_models.csv', # the table
         threads:int=2, # torch threads (the CPU's cores here)
         cache:str='runs/byo_cache', # LFW scores kept per model id, reused when the same model scores the same pairs ('': none)
         only:str=''): # comma-separated subset of facelab,onnx,dlib to measure (default: all three)
    "Measure facelab's model, its insightface-convention ONNX export and dlib's on LFW folds 6-10 and raw photos, one run, one machine"
    torch.set_num_threads(threads)
    pairs = lfw_aligned_pairs(TEST_FOLDS, per_fold or None)
    lfw = get_dataset('lfw'); raw = read_lfw_pairs(get_dataset('lfw_pairs'), lfw)
    photos = sorted(set(raw.path_a[raw.fold.isin(TEST_FOLDS)]))[:n_speed]
    want, rows = set((only or 'facelab,onnx,dlib').split(',')), []
    if want & {'facelab', 'onnx'}:
        fm, meta = load_face_model(model, 'cpu')
        if 'facelab' in want: rows.append(_row('facelab', TorchEmbedder(fm, meta), Path(model).stat().st_size/2**20, pairs, photos, cache))
        if 'onnx' in want:
            with tempfile.TemporaryDirectory() as d:
                onnx = export_insightface_onnx(fm, Path(d)/'facelab_insightface.onnx')
                rows.append(_row('facelab as ONNX (insightface conventions)', OnnxEmbedder(onnx), onnx.stat().st_size/2**20, pairs, photos, cache))
    if 'dlib' in want: rows.append(_row('dlib', DlibEmbedder(), sum(p.stat().st_size for p in dlib_model_files().values())/2**20, pairs, photos, cache))
    t = pd.DataFrame(rows).assign(machine=_cpu(), note=f"facelab model: {Path(model).name}; measured {time.strftime('%Y-%m-%d')}")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    t.round(5).to_csv(out, index=False)
    print(t.drop(columns=['machine', 'note']).round(4).to_string(index=False))
