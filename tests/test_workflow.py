"""npnn.workflow, the CLI's operations in Python: train, resume, test and search on real data,
returning Run and Search objects that show as HTML in Jupyter; quiet at import."""

import subprocess
import sys
from pathlib import Path

import pytest
from tqdm import auto

from npnn import workflow
from npnn.search import Param, SearchSpace, search_options
from npnn.training import ConfigError, TrainConfig, Trainer
from npnn.training.reporter import Reporter
from npnn.workflow import progress

README = Path(__file__).resolve().parents[1] / "README.md"
QUICK = {"hidden": [32], "epochs": 1, "batch_size": 100, "train_subset": 1000}


def test_imports_print_nothing_and_npnn_loads_no_workflow_library():
    script = ("import sys, npnn\n"
              "print(sorted(m for m in ('matplotlib', 'optuna', 'tqdm') if m in sys.modules))\n"
              "import npnn.workflow, npnn.report")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n" and result.stderr == ""


def test_train_tests_the_best_checkpoint_and_returns_the_run(tmp_path, capsys):
    run = workflow.train(QUICK, out=tmp_path, run_id="quick", lr=0.003)
    assert run.path == tmp_path / "quick" and run.status["status"] == "finished"
    assert run.config.lr == 0.003 and run.config.hidden == [32]
    assert run.test is not None and run.test["split"] == "test" and 0.5 < run.test["accuracy"] <= 1
    assert (run.path / "test.json").is_file()
    captured = capsys.readouterr()
    assert captured.out == "" and "epoch 1/1" in captured.err  # a bar (stderr here), no printing
    html = run._repr_html_()
    best = run.history.best
    assert "<table" in html and run.name in html and f"{100 * best.val_accuracy:.2f}%" in html
    assert f"{100 * run.test['accuracy']:.2f}%" in html

    assert workflow.resume(run.path, progress=False).history.records == run.history.records  # complete
    val = workflow.test(run.path, split="val")
    assert val["split"] == "val" and (run.path / "val.json").is_file()


def test_progress_bars_are_tqdm_auto_a_widget_in_jupyter():
    assert progress.tqdm is auto.tqdm


def test_jupyter_without_ipywidgets_gets_a_text_bar_and_no_warning_at_import():
    """tqdm.auto in a kernel without ipywidgets warns "IProgress not found" on import: not ours."""
    script = (
        "import sys, types, warnings\n"
        "sys.modules['ipywidgets'] = None\n"
        "sys.modules['ipykernel.zmqshell'] = types.ModuleType('ipykernel.zmqshell')\n"
        "ipython = sys.modules['IPython'] = types.ModuleType('IPython')\n"
        "ipython.get_ipython = lambda: type('ZMQInteractiveShell', (), {})()\n"
        "import tqdm.asyncio\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from npnn.workflow import progress\n"
        "print(progress.tqdm is tqdm.asyncio.tqdm, [str(w.message) for w in caught])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True []", result.stdout


class _StopAfter(Reporter):
    def __init__(self, steps):
        self.steps, self.trainer = steps, None

    def step_done(self, loss):
        self.steps -= 1
        if self.steps == 0:
            self.trainer.request_stop()


def test_resume_continues_an_interrupted_run_to_the_end(tmp_path):
    reporter = _StopAfter(3)
    trainer = Trainer.create(TrainConfig.from_dict(QUICK), tmp_path, "stopped", reporter=reporter)
    reporter.trainer = trainer
    assert trainer.fit().status == "interrupted"
    run = workflow.resume(tmp_path / "stopped", progress=False)
    assert run.status["status"] == "finished" and run.test is not None
    assert run.history.records[-1].step == 10  # 1000 images, batches of 100, one epoch


@pytest.fixture(scope="module")
def two_layouts(tmp_path_factory):
    space = SearchSpace([Param("hidden", ([16], [16, 8])), Param("lr", (0.003,))],
                        fixed={"batch_size": 100}, sampler="grid", description="two layouts")
    return workflow.search(space, out=tmp_path_factory.mktemp("search") / "s", epochs=1, train_subset=600,
                           progress=False)


def test_search_returns_the_search_with_its_results_table(two_layouts):
    found = two_layouts
    assert [t.state for t in found.trials] == ["complete", "complete"]
    assert [row[1] for row in found.results.rows] == ["784-16-10", "784-16-8-10"]
    html = found._repr_html_()
    assert html.count("<tr>") == 3 and "784-16-8-10" in html
    assert found.best_table("2 hidden layers").rows[0][2] == "784-16-8-10"
    assert (found.path / "search.json").is_file()


def test_the_readmes_five_line_notebook_report(two_layouts):
    """The README's `npnn report` in five lines, on a real search, shows the whole report."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Notebooks"):]
    code = section[section.index("```python\n") + 10:section.index("```\n", section.index("```python"))]
    assert len(code.strip().splitlines()) == 5
    namespace = {}
    exec(code.replace('"searches/original-2"', repr(str(two_layouts.path))), namespace)
    html = namespace["report"]._repr_html_()
    assert "Experiment report" in html and html.count("<img") >= 5 and "Best 1 of 1 models" in html
    assert "<table" in namespace["found"]._repr_html_()


def test_search_options_keep_trial_settings_apart_from_the_searchs_own():
    options = search_options("original-1", out="x", sampler_seed=3, seed=5, epochs=2)
    assert options.seed == 3 and options.overrides == {"seed": 5, "epochs": 2}
    assert options.space_source == "original-1" and str(options.out) == "x"
    assert str(search_options("original-2").out) == "searches/original-2"
    with pytest.raises(ConfigError, match="epochs"):
        search_options("original-1", epochs=0)
