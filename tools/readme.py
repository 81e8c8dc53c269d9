"Write README.md from nbs/index.ipynb without quarto (nbdev-readme needs quarto, which is not always installed)."
import json, re
from pathlib import Path

def nb_to_markdown(nb_path):
    "Markdown cells as they are, code cells as python blocks with what they printed (hidden ones skipped); the `>` line becomes a quote"
    out = []
    for c in json.loads(Path(nb_path).read_text())['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        src = src.replace('](images/', '](nbs/images/') # pictures sit beside the notebooks; the README is one folder up
        src = re.sub(r'\]\((?!https?:)([\w.-]+\.ipynb)', r'](nbs/\1', src)  # and so do the pages it links (`glossary.ipynb#eer`)
        out.append(src if c['cell_type'] == 'markdown' else f"```python\n{src}\n```")
        printed = ''.join(''.join(o['text']) for o in c.get('outputs', []) if o.get('output_type') == 'stream' and o.get('name') == 'stdout').strip()
        if printed: out.append(f"```\n{printed}\n```")  # what the cell printed when `make notebooks` ran it
    return '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    root = Path(__file__).resolve().parents[1]
    note = '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n'
    (root/'README.md').write_text(note + nb_to_markdown(root/'nbs'/'index.ipynb'))
