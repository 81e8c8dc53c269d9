"""Chapter 07's table: how each way of setting a model's stored threshold transfers to photos it was not chosen on.
Candidates (each chosen on data neither test set contains): the threshold the model stores (best accuracy on LFW's
balanced pairs), FAR 1e-2 and 1e-3 among half of LFW's one-photo strangers outside folds 6-10 (`lfw_strangers`), and
the same FARs on s-normalised scores (`ScoreNorm`, the other half as the impostor cohort). Test sets, every pair
(the dense protocol): LFW's people of folds 6-10 (at most 10 photos each), celeba10k's 300 people with 3+ photos
outside celeba299 (tight crops, detected as `kind='crop'`), and glint24 for dlib only (the main job trained on it).
For each (model, candidate, test set): the threshold, the FAR and TAR measured at it, and balanced accuracy at it
beside the best that set allows. Embeddings are cached per model and face list. Writes nbs/results/threshold_transfer.csv.

    python tools/threshold_transfer.py --model runs/lfw/model.pth
"""
import hashlib, os, shutil, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
from fastcore.script import call_parse
from facelab.core import atomic_path
from facelab.data import get_dataset, available, scan_faces, read_lfw_pairs, unseen_people
from facelab.faces import align_lfw
from facelab.verify import lfw_test_identities, lfw_strangers, impostor_threshold, dense_scores, best_threshold, DENSE_MAX_PER_PERSON
from facelab.inference import FaceRecognition, RecCfg, ScoreNorm, load_embedder, read_photo
import facelab.teacher # registers 'dlib' (chapter 11)

FARS = (1e-2, 1e-3)

def _people_sample(df:pd.DataFrame, max_faces:int|None, seed:int=0) -> pd.DataFrame:
    "Whole people of `df`, in a seeded order, until `max_faces` faces (None: all)"
    if not max_faces or len(df) <= max_faces: return df
    ppl = np.random.default_rng(seed).permutation(sorted(df.identity.unique()))
    n = df.identity.value_counts().reindex(ppl).cumsum()
    return df[df.identity.isin(set(n[n <= max_faces].index))]

def lfw_test_faces(max_faces=None) -> pd.DataFrame:
    "Aligned LFW photos of the people of folds 6-10, at most `DENSE_MAX_PER_PERSON` each (chapter 06's dense protocol)"
    lfw = get_dataset('lfw'); pairs = read_lfw_pairs(get_dataset('lfw_pairs'), lfw)
    df = scan_faces(lfw); df = df[df.identity.isin(lfw_test_identities(pairs))].sort_values('path').groupby('identity').head(DENSE_MAX_PER_PERSON)
    df = _people_sample(df, max_faces)
    root = align_lfw(df.path.tolist(), progress=False)
    return df.assign(path=[str(root/Path(p).relative_to(lfw)) for p in df.path]).reset_index(drop=True)

def celeba_people() -> pd.DataFrame:
    "celeba10k's people with 3+ photos outside celeba299 (which the main job trained on): chapter 07's second set, chapter 00's `unseen_people`, which no training set holds"
    return unseen_people('celeba10k')

def _key(paths) -> str: return hashlib.sha1('\n'.join(map(str, paths)).encode()).hexdigest()[:12]

def _faces(name:str, df:pd.DataFrame, fr:FaceRecognition|None, cache:Path) -> tuple:
    "`(aligned faces, identities)` of `df`'s photos: read as they are (`fr` None), or found and aligned by `fr` (cached)"
    f = cache/f"faces-{name}-{_key(df.path)}.npz"
    if f.exists(): z = np.load(f); return z['faces'], z['ids']
    if fr is None: faces, ids = np.stack([read_photo(p) for p in df.path]), df.identity.to_numpy()
    else:
        t, faces = fr.faces(df.path.tolist(), 'largest')
        ids = df.set_index('path').identity.reindex(t.source[t.status == 'ok']).to_numpy()
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(f) as tmp:
        with open(tmp, 'wb') as fh: np.savez(fh, faces=faces, ids=ids.astype(str))
    return faces, ids.astype(str)

def _embed(emb, name:str, faces:np.ndarray, cache:Path) -> np.ndarray:
    "`emb`'s embeddings of `faces` (flip TTA, as `FaceRecognition` uses), cached per model and face set"
    f = cache/f"emb-{emb.model_id}-{name}-{len(faces)}-{hashlib.sha1(faces[::max(1, len(faces)//50)].tobytes()).hexdigest()[:12]}.npy"
    if f.exists(): return np.load(f)
    t = time.perf_counter(); e = emb(faces, True, 32)
    print(f"  {name}: {len(faces)} faces embedded in {time.perf_counter() - t:.0f} s", flush=True)
    with atomic_path(f) as tmp:
        with open(tmp, 'wb') as fh: np.save(fh, e)
    return e

def _every_pair(s:np.ndarray, ids) -> tuple:
    "`(genuine, impostor)` entries of the pair-score matrix `s` above its diagonal"
    ids = pd.factorize(pd.Series(list(ids)))[0]; i, j = np.triu_indices(len(ids), 1); same = ids[i] == ids[j]
    return s[i, j][same], s[i, j][~same]

def _candidates(emb, cal:np.ndarray, norm:ScoreNorm) -> list:
    "`(name, target FAR, threshold, normalised?)` of each way to set the threshold"
    _, imp = _every_pair(cal @ cal.T, range(len(cal))); _, nimp = _every_pair(norm.matrix(cal), range(len(cal)))
    stored = emb.meta.get('threshold')
    return ([('stored: best accuracy on LFW pairs', np.nan, stored, False)] if stored is not None else []) + \
           [(f'FAR {f:g} among strangers', f, impostor_threshold(imp, f), False) for f in FARS] + \
           [(f's-norm, FAR {f:g} among strangers', f, impostor_threshold(nimp, f), True) for f in FARS]

def _rows(model:str, emb, sets:dict, cal:np.ndarray, norm:ScoreNorm, n_cal:int) -> list:
    "One row per (candidate, test set)"
    rows = []
    for name, e, ids in sets:
        raw, nrm = _every_pair(e @ e.T, ids), _every_pair(norm.matrix(e), ids)
        best = best_threshold(np.r_[raw[0], raw[1]], np.r_[np.ones(len(raw[0]), bool), np.zeros(len(raw[1]), bool)], balanced=True)
        best_bal = ((raw[0] >= best).mean() + (raw[1] < best).mean())/2
        for cand, target, t, normed in _candidates(emb, cal, norm):
            g, imp = nrm if normed else raw
            far, tar = float((imp >= t).mean()), float((g >= t).mean())
            rows.append(dict(model=model, candidate=cand, target_far=target, threshold=t, test_set=name, far=far, tar=tar,
                             far_over_target=far/target if target == target else np.nan, balanced_accuracy=(tar + 1 - far)/2,
                             best_balanced_accuracy=best_bal, n_same=len(g), n_diff=len(imp), n_faces=len(ids), calibration_pairs=n_cal*(n_cal-1)//2))
    return rows

def measure(model:str, emb, cache:Path, max_faces:int|None, glint:bool, lfw:bool=True) -> list:
    "The rows of one model: strangers split into calibration pairs and a normalisation cohort, then each test set"
    st = lfw_strangers(2*max_faces if max_faces else None)
    cal_i = np.random.default_rng(0).permutation(len(st)); half = len(st)//2
    faces, _ = _faces('strangers', st, None, cache); e = _embed(emb, 'strangers', faces, cache)
    cal, norm = e[cal_i[:half]], ScoreNorm(e[cal_i[half:]])
    sets = []
    if lfw:
        f, ids = _faces('lfw-test', lfw_test_faces(max_faces), None, cache); sets.append(('LFW folds 6-10 people, every pair', _embed(emb, 'lfw-test', f, cache), ids))
    cel = _people_sample(celeba_people(), max_faces)
    f, ids = _faces('celeba', cel, FaceRecognition(emb, RecCfg(kind='crop')), cache); sets.append(('celeba10k unseen people, every pair', _embed(emb, 'celeba', f, cache), ids))
    if glint:
        g = _people_sample(scan_faces(get_dataset('glint24')).sort_values('path').groupby('identity').head(10), max_faces)
        f, ids = _faces('glint24', g, None, cache); sets.append(('glint24, every pair', _embed(emb, 'glint24', f, cache), ids))
    return _rows(model, emb, sets, cal, norm, half)

@call_parse
def main(model:str='runs/lfw/model.pth', # the facelab checkpoint (what `make demo` writes)
         dlib:bool=True, # also dlib's ResNet (chapter 11), on samples of each set, with glint24 as a third test set
         dlib_faces:int=300, # at most this many faces per set for dlib (twice as many strangers) (it takes 40-240 ms a face here)
         out:str='nbs/results/threshold_transfer.csv', # the table
         cache:str='runs/threshold_cache', # aligned faces and embeddings, per model and face set
         threads:int=2): # torch threads (the CPU's cores here)
    "Measure how the stored threshold and its alternatives transfer to LFW's test people and celeba10k's unseen people"
    torch.set_num_threads(threads); cache = Path(cache)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        rows = measure(Path(model).name, load_embedder(model, 'cpu'), cache, None, False)
        if dlib: rows += measure('dlib', load_embedder('dlib'), cache, dlib_faces, True)
    df = pd.DataFrame(rows)
    with atomic_path(Path(out)) as tmp: df.to_csv(tmp, index=False)
    print(df[['model', 'candidate', 'test_set', 'threshold', 'far', 'tar', 'balanced_accuracy', 'best_balanced_accuracy']].round(4).to_string())
