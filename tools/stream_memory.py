"Peak RSS of `facelab train` (defaults: mnv4s 112 px; cached when the decoded faces fit in 512 MB) for one epoch over scale-test folders of the mirror's celeba299 + glint24 faces, hard-linked under more names (the same faces, not more data). python tools/stream_memory.py 2000 20000 100000"
import sys, time, tempfile, pandas as pd
from pathlib import Path
from facelab.data import get_dataset, scan_faces
from facelab.train import train_peak_mb, link_faces
faces = pd.concat([scan_faces(get_dataset('celeba299')), scan_faces(get_dataset('glint24'))], ignore_index=True)
root = Path(tempfile.mkdtemp(dir='/tmp'))
rows = []
for n in [int(a) for a in sys.argv[1:]]:
    t0 = time.time()
    mb = train_peak_mb(link_faces(faces, root/f'faces{n}', n), root/f'run{n}', '--epochs', '1', '--bs', '64', '--valid-pct', '0.01')
    rows.append(dict(faces=n, peak_rss_mb=round(mb), cached=n*3*112*112 <= 512*2**20))
    print(rows[-1], flush=True)
    pd.DataFrame(rows).to_csv('nbs/results/stream_memory.csv', index=False)
