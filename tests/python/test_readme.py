"""The README's "From Python" example runs as printed."""
import re

from conftest import ROOT


def test_the_readme_example_runs(capsys, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## From Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    scores = [float(v) for v in re.findall(r"[0-9.]+", capsys.readouterr().out)]
    assert len(scores) == 5 and all(0.3 < s < 0.7 for s in scores)
