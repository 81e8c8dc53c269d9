"""Render the notebooks, with their stored outputs, into a browsable site (`make docs`): `_docs/index.html` and a page
per chapter, with nbconvert (which installs from PyPI alone; quarto, nbdev's own renderer, needs a binary download and
builds the published site in `.github/workflows/deploy.yaml`).

    python tools/docs.py [OUT]     # default: _docs
"""
import re, shutil, sys
from pathlib import Path
import nbformat
from fastcore.nbio import read_nb, nb2str
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'

def _reader_cells(nb):
    "The cells a reader sees, as nbdev's docs show them (directives read by fastcore, as nbdev reads them): `#| hide` cells left out, directives removed, `echo: false` inputs hidden"
    cells = []
    for c in nb.cells:
        if c.cell_type == 'markdown':
            c.set_source(re.sub(r'\]\((?!https?:)([^)#]+)\.ipynb', r'](\1.html', c.source))  # links between pages (`glossary.ipynb#eer` too)
        if c.cell_type != 'code': cells.append(c); continue
        d = c.directives
        if 'hide' in d or 'default_exp' in d or d.get('include') == 'false': continue
        c.remove_directives()
        if d.get('echo') == 'false': c.setdefault('metadata', {}).setdefault('tags', []).append('remove_input')
        if c.source.strip() or c.get('outputs'): cells.append(c)
    nb.cells = cells
    return nbformat.reads(nb2str(nb), as_version=4)

def title_of(nb) -> str:
    "The notebook's `# title`"
    for c in nb.cells:
        if c.cell_type == 'markdown' and (m := re.match(r'#\s+(.+)', c.source.strip())): return m.group(1).strip()
    return ''

def chapters(nbs:Path=NBS) -> list:
    "The notebooks that become pages: index first, then the numbered ones, then the glossary"
    return [nbs/'index.ipynb'] + sorted(p for p in nbs.glob('[0-9]*.ipynb')) + [p for p in [nbs/'glossary.ipynb'] if p.exists()]

def build_site(out:Path=ROOT/'_docs', nbs:Path=NBS) -> dict:
    "Write `out/<notebook>.html` for every page of `chapters`, with a navigation bar, and copy `nbs/images`; `{page: title}`"
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    ex = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    ex.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}), enabled=True)
    nbs_read = {p: read_nb(p) for p in chapters(nbs)}
    titles = {p.with_suffix('.html').name: title_of(nb) for p, nb in nbs_read.items()}
    nav = '<nav style="padding:.6em 1em;border-bottom:1px solid #ddd;font:14px sans-serif">' + ' · '.join(
        f'<a href="{page}">{(page[:2] + " ") if page[0].isdigit() else ""}{t or page}</a>' for page, t in titles.items()) + '</nav>'
    for p, nb in nbs_read.items():
        html, _ = ex.from_notebook_node(_reader_cells(nb), resources={'metadata': {'name': titles[p.with_suffix('.html').name]}})
        html = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav, html, count=1)
        (out/p.with_suffix('.html').name).write_text(html)
    if (nbs/'images').exists(): shutil.copytree(nbs/'images', out/'images', dirs_exist_ok=True)
    return titles

if __name__ == '__main__':
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT/'_docs')
    titles = build_site(out)
    print(f"{len(titles)} pages in {out}/ (open {out/'index.html'})")
