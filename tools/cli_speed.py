"""Seconds a user waits for `facelab`: `import facelab.cli`, `facelab --help`, `facelab verify --help` and `facelab verify A B`
(two LFW photos of one person) with the main job's checkpoint and its ONNX export beside it (what `make demo` leaves), with
the ONNX file named, and with a copy of the checkpoint alone (PyTorch's path), each the median of `--runs` wall times from
`/usr/bin/time`, for the code in `--before` (a checkout of the earlier code) and in this checkout, run in turn so that both
see the same load; then what each path imports (torch, torchvision, timm, chapter 07's modules, onnx, onnxruntime). The
1-minute load average before each run and the CPU count are recorded; `verify`'s answer must be the same before and after
(the same decision and threshold, the similarity within 1e-3: the detector may differ), and help must be help (it may list
verbs added since).
Writes nbs/results/cli_speed.csv and prints it as a markdown table.
python tools/cli_speed.py --before DIR  (e.g. DIR from `git archive COMMIT facelab | tar -x -C DIR`) [--model runs/lfw/model.pth] [--runs 5]
(the checkpoint's ONNX export must be beside it: `facelab export-onnx --model M --overwrite`)"""
import os, sys, json, shutil, argparse, tempfile, subprocess, statistics
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

def timed(cmd:list, code_dir:Path) -> tuple:
    "`(seconds, stdout, load)` of `cmd` run with facelab imported from `code_dir`, timed by /usr/bin/time"
    load = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile('r', suffix='.time') as t:
        r = subprocess.run(['/usr/bin/time', '-f', '%e', '-o', t.name, *cmd], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(code_dir)), cwd=code_dir)
        if r.returncode not in (0, 1): raise RuntimeError(f"{' '.join(cmd)} in {code_dir} failed ({r.returncode}): {r.stderr[-2000:]}")
        return float(t.read().strip().splitlines()[-1]), r.stdout, load

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--before', required=True, type=Path, help='checkout of the code to compare with')
    ap.add_argument('--model', default=os.environ.get('FACELAB_MODEL', str(ROOT/'runs/lfw/model.pth')), help='facelab checkpoint for `verify A B`')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--out', type=Path, default=ROOT/'nbs/results/cli_speed.csv')
    a = ap.parse_args()
    from facelab.data import get_dataset
    a_jpg, b_jpg = sorted((get_dataset('lfw')/'Aaron_Peirsol').glob('*.jpg'))[:2]
    exe = shutil.which('facelab') or str(Path(sys.executable).with_name('facelab'))
    py = [sys.executable, '-c']
    model, twin = Path(a.model).resolve(), Path(a.model).resolve().with_suffix('.onnx')
    from facelab.light import light_model, RecCfg
    from facelab.faces import mtcnn_onnx
    mtcnn_onnx()  # the detector's ONNX files are written once, on first use: not in any timed run
    if light_model(RecCfg(model=str(model))) is None: raise SystemExit(f"{twin}: not the current export of {model}; run `facelab export-onnx --model {model} --overwrite`")
    alone = Path(tempfile.mkdtemp())/model.name; shutil.copy(model, alone)  # the checkpoint without its export: PyTorch answers
    cases = {'python -c "import facelab.cli"': py + ['import facelab.cli'],
             'facelab --help': [exe, '--help'],
             'facelab verify --help': [exe, 'verify', '--help'],
             'facelab verify A B  (model.pth, its ONNX export beside it)': [exe, 'verify', str(a_jpg), str(b_jpg), '--model', str(model)],
             'facelab verify A B --model model.onnx': [exe, 'verify', str(a_jpg), str(b_jpg), '--model', str(twin)],
             'facelab verify A B  (model.pth alone: PyTorch)': [exe, 'verify', str(a_jpg), str(b_jpg), '--model', str(alone)]}
    floor = {'python -c "import torch"': py + ['import torch'],  # what PyTorch's path imports whatever the command does
             'python -c "import torch, torchvision"': py + ['import torch, torchvision'],
             'python -c "import timm"  (torch, torchvision)': py + ['import timm'],
             'python -c "import facelab.inference"  (PyTorch\'s path)': py + ['import facelab.inference'],
             'python -c "import facelab.light"  (the light path)': py + ['import facelab.light'],
             'python -c "import onnx"  (reading an ONNX file safely)': py + ['import onnx'],
             'python -c "import onnxruntime"': py + ['import onnxruntime']}
    for d in (a.before, ROOT): subprocess.run([sys.executable, '-m', 'compileall', '-q', str(Path(d).resolve()/'facelab')], check=True)  # no run pays for compiling
    times, loads, outs = {}, {}, {}
    for _ in range(a.runs):
        for name, cmd in cases.items():
            for side, d in (('before', a.before.resolve()), ('after', ROOT)):
                s, out, load = timed(cmd, d)
                times.setdefault((name, side), []).append(s); loads.setdefault(name, []).append(load)
                if outs.setdefault((name, side), out) != out: raise RuntimeError(f'{name} ({side}) answered differently between runs')
        for name, cmd in floor.items():
            s, _, load = timed(cmd, ROOT)
            times.setdefault((name, 'after'), []).append(s); loads.setdefault(name, []).append(load)
    def same(b, f):  # one answer: the decision and threshold, the similarity to 1e-3 (another detector may move a landmark a little)
        if b == f: return True
        try: b, f = json.loads(b), json.loads(f)
        except ValueError: return False
        return (b['same'], b['threshold']) == (f['same'], f['threshold']) and abs(b['similarity'] - f['similarity']) < 1e-3
    for name in cases:  # the same answer before and after; help may list verbs added since `--before`, but is help
        b, f = outs[(name, 'before')], outs[(name, 'after')]
        if ('--help' in name and not (b.startswith('usage:') and f.startswith('usage:'))) or ('--help' not in name and not same(b, f)):
            raise RuntimeError(f'{name}: the output changed\n{b}\n{f}')
    shutil.rmtree(alone.parent)
    rows = [dict(command=n, before_s=statistics.median(times[(n, 'before')]) if (n, 'before') in times else None,
                 after_s=statistics.median(times[(n, 'after')]), runs=a.runs, load_1min=round(statistics.median(loads[n]), 2),
                 cpus=os.cpu_count()) for n in [*cases, *floor]]
    df = pd.DataFrame(rows)
    tmp = a.out.with_name(f'.{a.out.name}.tmp'); df.to_csv(tmp, index=False); os.replace(tmp, a.out)
    fmt = lambda v: '' if v is None or v != v else f'{v:.2f}' if isinstance(v, float) else str(v)
    print('| ' + ' | '.join(df.columns) + ' |\n|' + '---|'*len(df.columns))
    for r in df.itertuples(index=False): print('| ' + ' | '.join(map(fmt, r)) + ' |')

if __name__ == '__main__': main()
