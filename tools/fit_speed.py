"Training images/s of the main job's fit (LfwCfg's model, loss and augmentation; celeba299 faces, cached) over N batches after 5 warm-up ones, through fastai's loop with facelab's callbacks. Compare two checkouts in one run by alternating: PYTHONPATH=<checkout> python tools/fit_speed.py [N]"
import sys, time, tempfile, torch
from pathlib import Path
from dataclasses import replace
from facelab.data import get_dataset, scan_faces, split_closed
from facelab.train import face_dls, face_learner, fit_face
from facelab.verify import LfwCfg
from fastai.callback.core import Callback, CancelFitException
class Stop(Callback):
    order = 100
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.iter == 5: self.t0 = time.perf_counter()
        if self.training and self.iter == self.n + 5: self.t = time.perf_counter() - self.t0; raise CancelFitException()
cfg = replace(LfwCfg().train, epochs=1, minutes=0)
df = split_closed(scan_faces(get_dataset('celeba299')), 0.05, 0)
dls = face_dls(df, 112, cfg.bs, cfg.aug)
learn = face_learner(dls, cfg, Path(tempfile.mkdtemp())/'r')
cb = Stop(int(sys.argv[1]) if len(sys.argv) > 1 else 40); learn.add_cb(cb)
with learn.no_bar(), learn.no_logging():
    try: learn.fit(1)
    except CancelFitException: pass
import facelab; print(facelab.__file__, 'img/s', round(cb.n*dls.train.bs/cb.t, 1))
