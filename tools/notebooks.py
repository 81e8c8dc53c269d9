"""Run the chapters at full size and store their outputs in the notebooks (`make notebooks`).

`nbdev-test` runs the chapters with `IN_TEST` set, so they shrink their work, and writes nothing back; this runs them
the way a student does (`IN_TEST` unset), the cells `nbdev-test` runs (not `#| eval: false`, nor the `tst_flags`
ones: `slow` long runs, whose results the chapters record in their text, and `notest`), and writes each code cell's
outputs back into its notebook, matched by cell id: a cell whose source changed while the notebook ran keeps its old
outputs, and a cell that did not run keeps none. PNG outputs over 200 kB are stored
re-encoded in fewer colours (and smaller if need be), so a chapter opened on GitHub stays light.

    python tools/notebooks.py [NAME_RE]     # e.g. "0[45]_" for chapters 04 and 05; default: every notebook
"""
import base64, io, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.test import _skip_cell

MAX_PNG = 200_000 # bytes of one stored image

def small_png(b64:str, max_bytes:int=MAX_PNG) -> str:
    "`b64` (a base64 PNG) re-encoded under `max_bytes`: fewer colours first, then fewer pixels"
    from PIL import Image
    raw = base64.b64decode(b64)
    if len(raw) <= max_bytes: return b64
    im, scale = Image.open(io.BytesIO(raw)).convert('RGB'), 1.0
    while True:
        for colours in (256, 128, 64):
            small = im if scale == 1 else im.resize((max(1, int(im.width*scale)), max(1, int(im.height*scale))), Image.LANCZOS)
            buf = io.BytesIO(); small.quantize(colours).save(buf, 'PNG', optimize=True)
            if buf.tell() <= max_bytes: return base64.b64encode(buf.getvalue()).decode()
        scale *= 0.8

ROOT = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')

def _text(t:str) -> str:
    "What a terminal would show: no ANSI codes, each line as its last carriage return left it, this machine's paths made relative"
    t = _ANSI.sub('', t)
    t = '\n'.join(l.rsplit('\r', 1)[-1] for l in t.split('\n'))
    t = t.replace(str(ROOT) + '/', '').replace(str(ROOT), '.').replace(str(Path.home()), '~')
    return _TMP.sub('<tmp>', t)  # a temporary folder's path says nothing to a reader and names the machine's layout

_TMP = re.compile(re.escape(tempfile.gettempdir()) + r'/[\w.-]+|(?:/private)?/tmp/[\w.-]+')  # any folder made in the temporary one
ABS_PATH = re.compile(r'(?<![\w.~<])/(?:root|home|Users|work|tmp|var|private|mnt|content|kaggle)/[^\s\'"<>]*') # a path of the machine that ran it

def scrub(fn:Path) -> int:
    "Make the stored text outputs of notebook `fn` path-free as `_text` does; returns how many outputs changed"
    nb, n, touched = json.loads(fn.read_text()), 0, False
    lines = lambda t: t.splitlines(keepends=True)
    for c in nb['cells']:
        for o in c.get('outputs', []):
            for d, k in [(o, 'text')] + [(o.get('data', {}), k) for k in ('text/plain', 'text/html', 'text/markdown')]:
                if k not in d: continue
                t = ''.join(d[k]) if isinstance(d[k], list) else d[k]
                if (new := _text(t)) != t or isinstance(d[k], str): d[k] = lines(new); n += new != t; touched = True
    if touched: fn.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return n

def _plain(o) -> dict|None:
    "An output as plain JSON to store, or None: stderr (warnings, progress bars) and widgets are not stored; PNGs are made small"
    o = json.loads(json.dumps(o))
    if o['output_type'] == 'stream':
        if o.get('name') == 'stderr': return None
        o['text'] = _text(''.join(o['text']) if isinstance(o['text'], list) else o['text'])
        return o if o['text'].strip() else None
    data = o.get('data', {})
    if 'application/vnd.jupyter.widget-view+json' in data: return None
    for kind in ('text/plain', 'text/html', 'text/markdown'):
        if kind in data: data[kind] = _text(''.join(data[kind]) if isinstance(data[kind], list) else data[kind])
    png = data.get('image/png')
    if png: data['image/png'] = small_png(''.join(png) if isinstance(png, list) else png)
    return o

def run_notebook(fn:Path, skip_flags, cell_timeout:int|None=None) -> float:
    "Execute `fn` at full size and store its code cells' outputs in it; seconds taken"
    before = {c['id']: ''.join(c['source']) for c in json.loads(fn.read_text())['cells'] if c['cell_type'] == 'code'}
    nb, t0 = NBProcessor(fn, rm_directives=False, process=True).nb, time.time()  # parsed as nbdev-test parses it: directives known
    os.environ.pop('IN_TEST', None)
    shell = CaptureShell(fn)
    with working_directory(fn.parent):
        shell.run_all(nb, exc_stop=True, preproc=_skip_cell(nb, skip_flags), cell_timeout=cell_timeout)
    ran = {c.id: [p for o in c.get('outputs', []) if (p := _plain(o))] for c in nb.cells
           if c.cell_type == 'code' and 'execution' in c.get('metadata', {})}
    cur = json.loads(fn.read_text())  # the file as it is now: its text may have been edited during the run
    for c in cur['cells']:
        if c['cell_type'] != 'code' or ''.join(c['source']) != before.get(c.get('id')): continue
        c['outputs'] = ran.get(c['id'], [])
    tmp = fn.with_suffix('.ipynb.tmp')
    tmp.write_text(json.dumps(cur, indent=1, ensure_ascii=False) + '\n'); tmp.replace(fn)
    return time.time() - t0

def _flags(cfg) -> list: return cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)

def main(pattern:str='.'):
    cfg = get_config()
    files = [f for f in sorted(cfg.nbs_path.glob('*.ipynb')) if re.search(pattern, f.name)]
    times, failed = {}, []
    for f in files:  # one process each, as nbdev-test does: a chapter's memory goes with it
        print(f'{f.name} ...', flush=True)
        t0 = time.time()
        if subprocess.run([sys.executable, __file__, '--one', str(f)]).returncode:
            failed.append(f.name); print(f'{f.name} FAILED: its outputs were not stored', file=sys.stderr)
            continue
        times[f.name] = time.time() - t0
        print(f'{f.name}: {times[f.name]/60:.1f} min', flush=True)
    print('\n| notebook | minutes |\n|---|---|')
    for k, v in times.items(): print(f'| {k} | {v/60:.1f} |')
    print(f'| all | {sum(times.values())/60:.1f} |')
    if failed: sys.exit(f"failed: {', '.join(failed)}")

if __name__ == '__main__':
    if sys.argv[1:2] == ['--scrub']: print({f.name: scrub(f) for f in sorted(get_config().nbs_path.glob('*.ipynb'))})
    elif sys.argv[1:2] == ['--one']:
        cfg = get_config()
        run_notebook(Path(sys.argv[2]), _flags(cfg), cfg.cell_timeout or None)
    else: main(*sys.argv[1:2])
