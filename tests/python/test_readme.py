"""The README's "From Python" example runs as printed, and so does the research-loop example."""
import re

from conftest import ROOT


def test_the_readme_examples_run(capsys, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## From Python"):text.index("## Performance")]
    design, sklearn = re.findall(r"```python\n(.*?)```", section, re.S)
    monkeypatch.chdir(ROOT)
    exec(compile(design, "README.md", "exec"), {})
    out = capsys.readouterr().out
    aucs = [float(v) for v in re.findall(r"ROC AUC ([0-9.]+)", out)]
    assert len(aucs) == 2 and all(0.45 < a < 0.6 for a in aucs)
    assert "logistic_regression" in out and "silenced" in out
    exec(compile(sklearn, "README.md", "exec"), {})
    scores = [float(v) for v in re.findall(r"[0-9.]+", capsys.readouterr().out)]
    assert len(scores) == 5 and all(0.3 < s < 0.7 for s in scores)


def test_the_research_loop_example_runs(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "examples" / "research_loop.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "buy and hold" in run.stdout and "always long" in run.stdout
    assert (tmp_path / "research_loop.png").stat().st_size > 10_000
    assert list(tmp_path.glob("gradient_boosting_fold_*.tml"))
