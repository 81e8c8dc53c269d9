"""Check that the course's prose says what its stored outputs and results files say (`nbs/98_course.ipynb` runs it).

Every decimal number in a markdown cell (`89.8%`, `0.258`, `1.89×`, `147.6 img/s`; not integers, versions, numbers in
code spans, `$…$` maths, links or HTML) must be, at the precision written, one of:
- a number in that notebook's stored outputs (rounded to the digits written; a `%` also matches a fraction ×100);
- a number in a results file the notebook names (`results/NAME` anywhere in it: `nbs/results/NAME`);
- a constant of the code is written as code, in a code span (`DUP_THRESHOLD = 0.95`), and so is not checked;
- a number in the stored outputs or named results files of a chapter that the same sentence or its section's heading
  names ("chapter 06", "chapters 07 and 08", a link to `06_verification.ipynb`), so the index can quote the chapters;
- in a sentence (or a table under a paragraph) that carries a link to a public source, a citation: published numbers;
- or in the notebook's entry in `ALLOWED` (the number as written, with a reason).

The same pass reports markdown that points outside the repository (`../shared`, `FACTS.md`, "the issue", "this
session"), links to `glossary.ipynb#slug` that name no `<a id="slug"></a>` of the glossary, and chapters without a
`## References` section holding a link.

    python tools/consist.py [NOTEBOOK ...]     # default: every notebook in nbs/; prints one line per finding
"""
import csv, io, json, re, sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'

# numbers the prose may state without a stored source: {notebook stem: {number as written: reason}}
ALLOWED = {
}
# notebooks whose numbers are not run results (definitions with worked examples), with the reason
NO_NUMBER_CHECK = {
    'glossary': 'definitions with worked examples, no run results',
    '97_test_utils': 'test fixtures, not a chapter',
}
# notebooks that are not chapters, so need no References section
NOT_CHAPTERS = {'index', 'glossary', '97_test_utils', '98_course'}

OUTSIDE = re.compile(r'\.\./shared|\bFACTS\.md\b|\bthe issue\b|\bthis session\b|/work/', re.I)
GLOSSARY_LINK = re.compile(r'glossary(?:\.ipynb|\.html)?#([\w-]+)')
ANCHOR = re.compile(r'<a\s+id="([\w-]+)"\s*>\s*</a>')
HEADING = re.compile(r'^(#{1,6})\s+(.+?)\s*$', re.M)
# a decimal number: not part of a version (2.14.1) or a word (cu130, r50), with its unit if it is a percentage
DECIMAL = re.compile(r'(?<![\w.,\-/])(\d{1,3}(?:,\d{3})+|\d+)\.(\d+)(?![\d]|\.\d)(\s?%)?')
VERSION_BEFORE = re.compile(r'(?:python|torch|torchvision|timm|fastai|fastcore|pandas|cuda|onnxruntime(?:-web)?|chromium|numpy|faiss|nbdev|'
                            r'opset|version|release|v)\s*$', re.I)
ANY_NUMBER = re.compile(r'(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?', re.I)
CHAPTER_REF = re.compile(r'\bchapters?\s+((?:\d\d)(?:(?:,\s*|\s+and\s+|\s*[–-]\s*)\d\d)*)|\]\((\d\d)_\w+\.ipynb', re.I)
RESULTS_REF = re.compile(r'results/([\w.\-]+\.(?:csv|md|json|txt))')
# a sentence ends at . ; ! or ? before a capital or markup (not after "et al.", "e.g.", "i.e.", "cf.", "vs.")
SENTENCE = re.compile(r'.+?(?:(?<!\bal)(?<!\be\.g)(?<!\bi\.e)(?<!\bcf)(?<!\bvs)[.;!?](?=\s+[A-Z*_\[(`"|>-])|$)', re.S)
CITATION = re.compile(r'\]\(https?://|<https?://')

@dataclass
class Finding:
    kind: str      # 'number', 'outside', 'glossary' or 'references'
    nb: str        # notebook file name
    heading: str   # the heading above the finding ('' before the first)
    what: str      # the number as written, the phrase, or the slug
    context: str   # the words around it
    cell: str = '' # the id of its markdown cell
    def __str__(self): return f"{self.nb} [{self.heading or 'top'}] {self.kind}: {self.what}  «{self.context[:120]}»"

def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def read_cells(nb_path): return json.loads(Path(nb_path).read_text())['cells']

def _output_texts(cells):
    for c in cells:
        for o in c.get('outputs', []) if c['cell_type'] == 'code' else []:
            if 'text' in o: yield ''.join(o['text'])
            for k, v in o.get('data', {}).items():
                if k.startswith('text/'): yield ''.join(v)

def numbers_in(text) -> set:
    "Every number in `text`, as floats (thousands commas read, signs dropped)"
    out = set()
    for m in ANY_NUMBER.finditer(text):
        try: out.add(abs(float(m.group().replace(',', ''))))
        except ValueError: pass
    return out

def results_named(cells, nbs=NBS) -> list:
    "The `nbs/results` files a notebook names, anywhere in its cells"
    names = {m for c in cells for m in RESULTS_REF.findall(_src(c))}
    return [nbs/'results'/n for n in sorted(names) if (nbs/'results'/n).exists()]

def sources(nb_path, nbs=NBS) -> set:
    "The numbers a notebook's prose may quote: its stored outputs and the results files it names"
    cells = read_cells(nb_path)
    out = set().union(*[numbers_in(t) for t in _output_texts(cells)])
    for f in results_named(cells, nbs):
        text = f.read_text()  # a CSV's commas part cells (`2,133.5` is 2 and 133.5), not thousands
        out |= set().union(*[numbers_in(v) for r in csv.reader(io.StringIO(text)) for v in r]) if f.suffix == '.csv' else numbers_in(text)
    return out

def _strip(md) -> str:
    "`md` with code, maths, link targets, URLs and HTML blanked out (same length, so positions hold)"
    blank = lambda m: ' '*len(m.group())
    for pat in [r'```.*?```', r'`[^`\n]*`', r'\$\$.*?\$\$', r'\$[^$\n]+\$', r'\]\([^)]*\)', r'https?://\S+', r'<[^>\n]*>']:
        md = re.sub(pat, blank, md, flags=re.S)
    return md

def units(md) -> list:
    "`(start, end, context)` spans of `md`: sentences of paragraphs and list items; a table row with the paragraph above its table"
    out, para = [], ''
    for block in re.finditer(r'(?:[^\n]+\n?)+', md):
        b0, text = block.start(), block.group()
        if text.lstrip().startswith('|'):
            for r in re.finditer(r'[^\n]+', text): out.append((b0+r.start(), b0+r.end(), para + '\n' + r.group()))
            continue
        for item in re.finditer(r'(?:^|\n)(?:[-*]|\d+\.)?[^\n]*(?:\n(?![-*] |\d+\. )[^\n]+)*', text):
            i0 = item.start()
            for s in SENTENCE.finditer(item.group()):
                out.append((b0+i0+s.start(), b0+i0+s.end(), s.group()))
        para = text
    return out

def _matches(x:float, digits:int, pct:bool, vals) -> bool:
    tol = 0.5*10**-digits + 1e-9
    return any(abs(v-x) <= tol or (pct and abs(100*v-x) <= tol) for v in vals)

def chapter_paths(ctx, nbs=NBS) -> list:
    "The notebooks a sentence names (`chapter 06`, `chapters 07 and 08`, `chapters 02–05`, a link to `06_x.ipynb`)"
    nums = set()
    for m in CHAPTER_REF.finditer(ctx):
        if m.group(2): nums.add(m.group(2)); continue
        parts = re.findall(r'\d\d', m.group(1))
        nums |= set(parts)
        if re.search(r'\d\d\s*[–-]\s*\d\d', m.group(1)): nums |= {f'{i:02d}' for i in range(int(parts[0]), int(parts[-1])+1)}
    return [p for n in sorted(nums) for p in sorted(nbs.glob(f'{n}_*.ipynb'))]

def check_numbers(nb_path, nbs=NBS, _cache=None) -> list:
    "Findings for the decimal numbers in `nb_path`'s markdown that no source shows"
    nb_path = Path(nb_path)
    if nb_path.stem in NO_NUMBER_CHECK: return []
    cache = {} if _cache is None else _cache
    src_of = lambda p: cache[p] if p in cache else cache.setdefault(p, sources(p, nbs))
    own, allowed, heading, found = src_of(nb_path), ALLOWED.get(nb_path.stem, {}), '', []
    for c in read_cells(nb_path):
        if c['cell_type'] != 'markdown': continue
        md = _src(c); clean = _strip(md)
        heads = [(m.start(), m.group(0).strip()) for m in HEADING.finditer(md)]
        for s0, s1, ctx in units(md):
            for m in DECIMAL.finditer(clean, s0, s1):
                if VERSION_BEFORE.search(clean[max(0, m.start()-20):m.start()]): continue
                written = m.group(0).strip().replace(' ', '')
                if written in allowed or written.rstrip('%') in allowed or CITATION.search(ctx): continue
                x, digits, pct = float(f"{m.group(1).replace(',', '')}.{m.group(2)}"), len(m.group(2)), bool(m.group(3))
                h = [t for p, t in heads if p <= m.start()]
                vals = own.union(*[src_of(p) for p in chapter_paths(ctx + '\n' + (h[-1] if h else heading), nbs)])
                if _matches(x, digits, pct, vals): continue
                near = md[max(md.rfind('\n', 0, m.start())+1, m.start()-70):m.end()+50]
                found.append(Finding('number', nb_path.name, h[-1] if h else heading, written, ' '.join(near.split()), c.get('id', '')))
        if heads: heading = heads[-1][1]
    return found

def glossary_slugs(nbs=NBS) -> set:
    "The anchors `<a id=\"slug\"></a>` of the glossary"
    g = nbs/'glossary.ipynb'
    return {s for c in read_cells(g) if c['cell_type'] == 'markdown' for s in ANCHOR.findall(_src(c))} if g.exists() else set()

def check_text(nb_path, slugs) -> list:
    "Findings for markdown that points outside the repository, and for glossary links to no anchor"
    nb_path, found, heading = Path(nb_path), [], ''
    for c in read_cells(nb_path):
        if c['cell_type'] != 'markdown': continue
        md = _src(c)
        heads = [(m.start(), m.group(0).strip()) for m in HEADING.finditer(md)]
        head_at = lambda i: ([t for p, t in heads if p <= i] or [heading])[-1]
        line_at = lambda i: md[md.rfind('\n', 0, i)+1:(md.find('\n', i)+1 or len(md)+1)-1]
        for m in OUTSIDE.finditer(md): found.append(Finding('outside', nb_path.name, head_at(m.start()), m.group(), line_at(m.start()), c.get('id', '')))
        for m in GLOSSARY_LINK.finditer(md):
            if m.group(1) not in slugs: found.append(Finding('glossary', nb_path.name, head_at(m.start()), m.group(1), line_at(m.start()), c.get('id', '')))
        if heads: heading = heads[-1][1]
    return found

def check_references(nb_path) -> list:
    "A finding when a chapter has no `## References` section holding a link"
    nb_path = Path(nb_path)
    if nb_path.stem in NOT_CHAPTERS: return []
    md = '\n'.join(_src(c) for c in read_cells(nb_path) if c['cell_type'] == 'markdown')
    m = re.search(r'^##\s+References\s*$(.*?)(?=^#{1,2}\s|\Z)', md, re.M | re.S)
    if m and re.search(r'\]\(https?://|<https?://', m.group(1)): return []
    return [Finding('references', nb_path.name, '', 'no ## References section with a link' if not m else 'References without a link', '')]

def check(paths=None, nbs=NBS) -> list:
    "Every finding for the notebooks `paths` (default: all of `nbs`)"
    if paths and nbs == NBS: nbs = Path(paths[0]).resolve().parent  # the notebooks' own folder: their results, their chapters
    paths = [Path(p) for p in paths] if paths else sorted(nbs.glob('*.ipynb'))
    slugs, cache, found = glossary_slugs(nbs) or glossary_slugs(NBS), {}, []
    for p in paths: found += check_numbers(p, nbs, cache) + check_text(p, slugs) + check_references(p)
    return found

def report_md(found) -> str:
    "The findings as markdown: a section per notebook, a line per heading"
    out, by_nb = [], {}
    for f in found: by_nb.setdefault(f.nb, []).append(f)
    for nb, fs in by_nb.items():
        out.append(f"\n### {nb} ({len(fs)})")
        for kind in ['outside', 'glossary', 'references', 'number']:
            heads = {}
            for f in fs:
                if f.kind == kind: heads.setdefault(f.heading, []).append(f)
            for h, hs in heads.items():
                if kind == 'number': out.append(f"- {h or 'top'}: " + ', '.join(f.what for f in hs))
                else: out.append(f"- {kind}: {h or 'top'}: " + '; '.join(f"{f.what} «{f.context[:90]}»" for f in hs))
    return '\n'.join(out)

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--md']
    found = check(args)
    print(report_md(found) if '--md' in sys.argv else '\n'.join(map(str, found)))
