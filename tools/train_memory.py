"""Memory of a long CPU run: chapter 11's distillation job (`facelab.teacher.distill_job`, cosine+arcface, seed 42) with
the process's resident memory logged every 50 training steps and at each epoch's end, with or without `TrimMemory`
(glibc's `malloc_trim` after each epoch, which `face_learner` adds). Prints `MEM` lines; chapter 04 quotes the result.

    python tools/train_memory.py --epochs 14 --extra celeba299,glint24,celeba10k               # as face_learner trains
    python tools/train_memory.py --epochs 14 --extra celeba299,glint24,celeba10k --no-release  # without TrimMemory
"""
import torch
from dataclasses import replace
from fastcore.script import call_parse
from fastai.callback.core import Callback
import facelab.teacher as T
from facelab.train import TrimMemory, rss_mb


class MemLog(Callback):
    "Print the resident memory every 50 training steps and after each epoch (after `TrimMemory`, order 100, when present)"
    order = 101
    def after_batch(self):
        if self.training and self.iter % 50 == 0: print(f"MEM epoch {self.epoch} step {self.iter} rss_mb {rss_mb():.0f}", flush=True)
    def after_epoch(self): print(f"MEM epoch {self.epoch} end rss_mb {rss_mb():.0f}", flush=True)

@call_parse
def main(epochs:int=14, extra:str='celeba299,glint24,celeba10k', no_release:bool=False, out:str='/tmp/train_memory', threads:int=2):
    torch.set_num_threads(threads)
    make = T.distill_learner
    def learner(*a, **k):
        learn = make(*a, **k)
        if no_release: learn.remove_cbs([c for c in learn.cbs if isinstance(c, TrimMemory)])
        learn.add_cb(MemLog()); return learn
    T.distill_learner = learner
    job = T.DistillJobCfg(out=out, extra=extra, overwrite=True)
    m = T.distill_job(replace(job, train=replace(job.train, epochs=epochs, seed=42)))
    print(f"{m['accuracy']:.2%} on LFW folds 6-10; {m['train_images']} training faces; {m['train_minutes']:.1f} min of training")
