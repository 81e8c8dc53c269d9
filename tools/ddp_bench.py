"""Training throughput (images/s) of one process against data-parallel processes on this machine (chapter 10).

    python tools/ddp_bench.py                      # 1 process (1 and all threads) vs 2 processes of 1 thread, CPU
    python tools/ddp_bench.py --procs 1,2,4 --arch r50 --size 112 --bs 128   # on GPUs: one process per GPU

Each configuration runs under `torchrun --standalone`, trains `--steps` timed steps (after 2 warm-up steps) of the
backbone with Partial FC over `--classes` identities on real celeba299 faces, and rank 0 reports
`world * bs * steps / seconds`. Rows are appended to `nbs/results/ddp_throughput_<device>.csv` with the machine's
load average, since a busy machine slows every row."""
import os, sys, csv, json, time, argparse, subprocess, platform
from pathlib import Path

def worker(a):
    import torch
    from facelab.distributed import init_ranks, rank_world, wrap_ddp, PartialFC
    from facelab.losses import AngularMargin
    from facelab.models import ModelCfg, create_face_model
    from facelab.data import get_dataset, scan_faces
    from facelab.transforms import load_face_tensors
    if a.threads: torch.set_num_threads(a.threads)
    dev = init_ranks()
    r, w = rank_world()
    faces = scan_faces(get_dataset('celeba299')).path.tolist()[r*a.bs:(r+1)*a.bs]  # each rank its own faces
    x = load_face_tensors(faces, a.size, progress=False).float().div(127.5).sub(1).to(dev)
    y = torch.randint(0, a.classes, (len(x),), generator=torch.Generator().manual_seed(r)).to(dev)
    torch.manual_seed(0)
    model = create_face_model(ModelCfg(arch=a.arch, emb_dim=512), size=a.size, head=None, n_classes=0).to(dev)
    loss = PartialFC(512, a.classes, AngularMargin(m2=0.5)).to(dev)
    ddp = wrap_ddp(model, loss)
    opt = torch.optim.AdamW([*model.parameters(), *loss.parameters()], lr=1e-3)
    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == 'cuda'): l = loss(ddp(x), y)
        l.backward(); opt.step(); opt.zero_grad()
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == 'cuda' else (lambda: None)
    for _ in range(2): step()
    sync(); t0 = time.perf_counter()
    for _ in range(a.steps): step()
    sync(); secs = time.perf_counter() - t0
    if r == 0: print('RESULT ' + json.dumps(dict(world=w, threads=torch.get_num_threads(), img_s=w*len(x)*a.steps/secs)), flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--procs', default='1,2'); p.add_argument('--arch', default='mnv4s64'); p.add_argument('--size', type=int, default=64)
    p.add_argument('--bs', type=int, default=32, help='faces per process per step'); p.add_argument('--steps', type=int, default=10)
    p.add_argument('--classes', type=int, default=10_000); p.add_argument('--threads', type=int, default=0, help='torch threads per process (0: as launched)')
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--out', default=None, help='csv (default nbs/results/ddp_throughput_<cpu|cuda>.csv)')
    a = p.parse_args()
    if a.worker: return worker(a)
    import torch
    kind = 'cuda' if torch.cuda.is_available() else 'cpu'
    out = Path(a.out or Path(__file__).parent.parent/'nbs'/'results'/f'ddp_throughput_{kind}.csv')
    cores = os.cpu_count()
    # one process with one thread and with every core, then each process count with the cores shared out
    runs = [(1, 1), (1, cores)] + [(int(n), max(1, cores//int(n))) for n in a.procs.split(',') if int(n) > 1] if kind == 'cpu' else [(int(n), 0) for n in a.procs.split(',')]
    rows = []
    for n, threads in runs:
        args = [f'--arch={a.arch}', f'--size={a.size}', f'--bs={a.bs}', f'--steps={a.steps}', f'--classes={a.classes}', f'--threads={threads}', '--worker']
        r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={n}', __file__, *args],
                           capture_output=True, text=True)
        res = [json.loads(l[7:]) for l in r.stdout.splitlines() if l.startswith('RESULT ')]
        if r.returncode or not res: sys.exit(f'{n} processes failed:\n{r.stderr[-3000:]}')
        rows.append(dict(device=kind if kind == 'cpu' else torch.cuda.get_device_name(), processes=n, threads_per_process=res[0]['threads'],
                         arch=a.arch, size=a.size, bs_per_process=a.bs, classes=a.classes, img_s=round(res[0]['img_s'], 1),
                         load_avg_1min=round(os.getloadavg()[0], 2), cores=cores, host=platform.node(), date=time.strftime('%Y-%m-%d %H:%M')))
        print(rows[-1], flush=True)
    new = not out.exists()
    with out.open('a', newline='') as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        if new: wr.writeheader()
        wr.writerows(rows)
    print(f'appended {len(rows)} rows to {out}')

if __name__ == '__main__': main()
