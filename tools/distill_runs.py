"""Chapter 11's distillation table: students of a teacher (dlib by default) trained by `facelab.teacher.distill_job` on
the main job's training faces, one row per run in nbs/results/distill.csv (appended as each run ends, so a stopped
study goes on where it stopped; a run already in the file is skipped). Each row holds the student's LFW folds 6-10
accuracy, the teacher's on the same pairs, the steps, the training images/s and the machine's load, so that the
idle-CPU minutes a budget in steps costs can be worked out.

    python tools/distill_runs.py --epochs 2                                         # the loss families, equal steps, one seed
    python tools/distill_runs.py --variants cosine+arcface --epochs 12 --seeds 42,43,44   # the best, longer, three seeds
"""
import os, platform, time
from dataclasses import replace
from pathlib import Path
import pandas as pd, torch
from fastcore.script import call_parse
from facelab.core import atomic_path
from facelab.teacher import DistillCfg, DistillJobCfg, distill_job

VARIANTS = { # name: the loss's settings; 'arcface' is the from-scratch main job's loss through the same pipeline, at the same steps
    'arcface': DistillCfg(weight=0.0),
    'cosine': DistillCfg('cosine', margin_weight=0.0),
    'relational': DistillCfg('relational', margin_weight=0.0),
    'cosine+arcface': DistillCfg('cosine'),
    'relational+arcface': DistillCfg('relational'),
}

def _append(row:dict, out:Path):
    "Add `row` to the CSV `out`, written atomically"
    t = pd.read_csv(out) if out.exists() else pd.DataFrame()
    if len(t) and 'extra' not in t: t.insert(t.columns.get_loc('train_images') + 1, 'extra', 'celeba299,glint24')  # rows before the column: the default
    with atomic_path(out) as tmp: pd.concat([t, pd.DataFrame([row])], ignore_index=True).to_csv(tmp, index=False)

@call_parse
def main(variants:str='all', # comma-separated names of `VARIANTS`, or all
         epochs:int=2, # epochs of every run (the budget in steps: epochs x steps per epoch)
         seeds:str='42', # comma-separated seeds
         teacher:str='dlib', # any `--model` value
         out:str='nbs/results/distill.csv', # the table
         runs:str='runs/distill', # a folder per run under it
         extra:str='celeba299,glint24', # more training faces (the mirror's sets; celeba10k's `unseen_people` are always left out; '' for LFW's training people alone)
         threads:int=2): # torch threads (the CPU's cores here)
    "Train one student per variant and seed for `epochs`, append each run's row to `out`"
    torch.set_num_threads(threads)
    out, names = Path(out), list(VARIANTS) if variants == 'all' else variants.split(',')
    for v in names:
        for seed in map(int, seeds.split(',')):
            done = pd.read_csv(out) if out.exists() else None
            if done is not None and 'extra' not in done: done['extra'] = 'celeba299,glint24'  # rows written before the column: every run used the default
            if done is not None and ((done.variant == v) & (done.seed == seed) & (done.epochs == epochs) & (done.teacher == teacher)
                                     & (done.extra.fillna('') == extra)).any(): continue
            load0, t0 = os.getloadavg()[0], time.perf_counter()
            tag = '' if extra == 'celeba299,glint24' else '-' + extra.replace(',', '+').replace('/', '_')
            job = DistillJobCfg(teacher=teacher, out=f'{runs}/{v}-e{epochs}-s{seed}{tag}', extra=extra, overwrite=True)
            m = distill_job(replace(job, train=replace(job.train, epochs=epochs, seed=seed, loss_cfg=VARIANTS[v])))
            row = dict(variant=v, seed=seed, epochs=epochs, steps=m['steps'], accuracy=m['accuracy'], accuracy_std=m['accuracy_std'],
                       auc=m['auc'], tar_far_1e_3=m['tar@far=0.001'], teacher=teacher, teacher_accuracy=m['teacher_accuracy'],
                       teacher_accuracy_std=m['teacher_accuracy_std'], teacher_tar_far_1e_3=m['teacher_tar@far=0.001'],
                       train_minutes=m['train_minutes'], train_img_s=m['train_img_s'], teacher_minutes=m['teacher_minutes'],
                       train_images=m['train_images'], extra=extra, load_start=load0, load_end=os.getloadavg()[0], wall_minutes=(time.perf_counter()-t0)/60,
                       machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads {threads}", date=time.strftime('%Y-%m-%d'))
            _append(row, out)
            print(f"{v} seed {seed}: {m['accuracy']:.2%} ± {m['accuracy_std']:.2%} after {m['steps']} steps ({m['train_img_s']:.0f} img/s); "
                  f"teacher {m['teacher_accuracy']:.2%}", flush=True)
