"""Fault-injection suite: fixtures on real Fashion-MNIST, cut down so that every run is tiny."""

from __future__ import annotations

import pytest

from npnn.training import TrainConfig


@pytest.fixture(scope="session")
def tiny_data():
    """Real images: the first 600 of the train split and 300 of the val split."""
    from npnn.data import load_fashion_mnist

    return (load_fashion_mnist("train", standardize=True, subset=600),
            load_fashion_mnist("val", standardize=True, subset=300))


@pytest.fixture
def tiny_config() -> TrainConfig:
    """2 epochs of 6 steps, evaluated every 2 steps and at epoch ends."""
    return TrainConfig(hidden=[16], train_subset=600, batch_size=100, epochs=2, eval_every=2, seed=5,
                       dropout=0.1, label_smoothing=0.0)


@pytest.fixture
def interrupted(tmp_path, tiny_data, tiny_config):
    """A run stopped after 3 of its 12 steps, as Ctrl-C leaves it: last.safetensors, status
    'interrupted', one evaluation in history.json."""
    from npnn.training import Trainer

    class Stop:
        def step_done(self, loss):
            if trainer.position.step == 3:
                trainer.request_stop()

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    trainer = Trainer.create(tiny_config, tmp_path, run_id="r", reporter=Stop(), data=tiny_data)
    assert trainer.fit().status == "interrupted"
    return tmp_path / "r"
