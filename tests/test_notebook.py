"""examples/report.ipynb, the original's report notebook on npnn's Python API, runs top to bottom
in a fresh Python kernel (nbclient, headless) on a small real-data search; any cell's error fails.
CI requires nbclient, nbformat and ipykernel (NPNN_REQUIRE_NOTEBOOK in test_required_tools.py)."""

import json
import sys
from pathlib import Path

import pytest

import npnn

nbformat = pytest.importorskip("nbformat", reason="nbformat not installed: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="nbclient not installed: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel (the notebook's kernel) not installed: "
                                 "pip install -e '.[test]'")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "report.ipynb"
TIMEOUT = 600  # seconds a cell may take; the whole notebook takes about a minute on 2 cores


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"


def test_report_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # the "python3" kernel: ipykernel's spec in the venv (sys.prefix), searched before any in the
    # user's folders, which jupyter_client starts with this interpreter; the last cell checks that
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    notebook.cells.append(nbformat.v4.new_code_cell("import sys, npnn; print(sys.executable, npnn.__file__)"))
    client = nbclient.NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # CellExecutionError, with the cell and its traceback, on any error

    results = tmp_path / "notebook-runs" / "search_result.csv"
    assert results.is_file(), "the notebook's search should have written its table"
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pngs = sum("image/png" in o.get("data", {}) for o in outputs)
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert pngs >= 8, f"{pngs} figures shown; the notebook draws at least 8"
    assert any("<table" in h and "val acc" in h for h in html), "the search should show as an HTML table"
    assert any("Experiment report" in h for h in html), "the last cell should show the whole report"
    assert notebook.cells[-1].outputs[0].text.split() == [sys.executable, npnn.__file__]
    assert json.loads(json.dumps(notebook))  # the executed notebook is still valid JSON
