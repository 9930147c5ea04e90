"""The results table names each trial's model, so a CNN search is not labelled by MLP sizes."""

import csv

from npnn.report.sources import load_search
from npnn.search.results import COLUMNS, summary, write_csv
from npnn.training import TrainConfig
from npnn.training.layout import layout_family, model_layout

MLP = TrainConfig(hidden=[512, 256])
CNN = TrainConfig(model="cnn", channels=[32, 64, 128], cnn_hidden=[256], batch_norm=True, kernel_size=5)


def row(no, config, val):
    return {"no": no, "train_id": "", "accuracy": 0.9, "hidden_size": "", "batch_size": config.batch_size,
            "learning_rate": config.lr, "regularization": "none", "regular_strength": 0.0,
            "val_accuracy": val, "epochs": 1, "seconds": 1.0, "state": "complete", "run_dir": "",
            "model": model_layout(config.to_dict())}


def test_layouts_say_which_model():
    assert model_layout(MLP.to_dict()) == "784-512-256-10"
    assert model_layout(CNN.to_dict()) == "cnn 32-64-128 k5 max bn, dense 256"
    assert layout_family("784-512-256-10")[1] == "2 hidden layers"
    assert layout_family("784-10")[1] == "0 hidden layers"
    assert layout_family("cnn 32-64-128 k5 max bn, dense 256")[1] == "CNN, 3 blocks"
    order = [layout_family(layout)[0] for layout in ("784-64-10", "784-64-32-10", "cnn 8 k3 avg, dense 4")]
    assert order == sorted(order)


def test_summary_ranks_cnns_apart_and_shows_their_layout():
    text = summary([row(0, MLP, 0.90), row(1, CNN, 0.93), row(2, CNN, 0.92)])
    assert "best 1 of 1 trials, 2 hidden layers" in text
    assert "best 2 of 2 trials, CNN, 3 blocks" in text
    cnn_lines = [line for line in text.splitlines() if "cnn 32-64-128" in line]
    assert [line.split()[0] for line in cnn_lines] == ["1", "2"]  # ranked by validation accuracy


def test_report_reads_the_layout_and_old_tables_without_it(tmp_path):
    write_csv(tmp_path / "new.csv", [row(0, MLP, 0.90), row(1, CNN, 0.93)])
    search = load_search(tmp_path / "new.csv")
    assert [t.layout for t in search.trials] == ["784-512-256-10", "cnn 32-64-128 k5 max bn, dense 256"]
    assert search.families == ["2 hidden layers", "CNN, 3 blocks"]
    assert [t.number for t in search.best("CNN, 3 blocks")] == [1]
    old = tmp_path / "old.csv"  # written before the model column
    with open(old, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        old_row = {name: value for name, value in row(0, MLP, 0.9).items() if name in COLUMNS}
        writer.writerow({**old_row, "hidden_size": "64 32"})
    assert [t.layout for t in load_search(old).trials] == ["784-64-32-10"]
