"""The seeding and determinism boilerplate of PyTorch scripts runs, with PyTorch's meaning:
seed/initial_seed, the CUDA seeding calls (no-ops: one generator serves every device),
use_deterministic_algorithms and backends.cudnn's settable switches."""

from __future__ import annotations

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def test_initial_seed_reports_manual_seed_as_torch() -> None:
    for value in (0, 5, 2**63 + 7, -1, -(2**63)):
        npnn.manual_seed(value)
        torch.manual_seed(value)
        assert npnn.initial_seed() == torch.initial_seed()


def test_manual_seed_out_of_range_raises_as_torch() -> None:
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.manual_seed(2**64)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        npnn.manual_seed(2**64)


def test_seed_draws_a_fresh_seed_that_replays() -> None:
    first = npnn.seed()
    assert first == npnn.initial_seed() and 0 <= first < 2**64
    draws = npnn.randn(5).numpy()
    assert npnn.seed() != first  # 64 random bits: equal with probability 2**-64
    npnn.manual_seed(first)
    assert np.array_equal(npnn.randn(5).numpy(), draws)


def test_generator_seed_methods_as_torch() -> None:
    generator = npnn.Generator(11)
    assert generator.initial_seed() == torch.Generator().manual_seed(11).initial_seed() == 11
    new = generator.seed()
    assert generator.initial_seed() == new
    assert npnn.Generator().initial_seed() != npnn.Generator().initial_seed()


def test_cuda_seeding_calls_run_and_leave_the_generator_alone() -> None:
    npnn.manual_seed(3)
    expected = npnn.randn(4).numpy()
    npnn.manual_seed(3)
    for call in (lambda: npnn.cuda.manual_seed(7), lambda: npnn.cuda.manual_seed_all(7),
                 npnn.cuda.seed, npnn.cuda.seed_all):
        assert call() is None
    assert npnn.initial_seed() == 3
    assert np.array_equal(npnn.randn(4).numpy(), expected)
    with pytest.raises((TypeError, ValueError)):
        npnn.cuda.manual_seed("seven")


def test_the_usual_boilerplate_runs() -> None:
    seed = 42
    npnn.manual_seed(seed)
    npnn.cuda.manual_seed_all(seed)
    npnn.backends.cudnn.deterministic = True
    npnn.backends.cudnn.benchmark = False
    npnn.use_deterministic_algorithms(True)
    try:
        assert npnn.backends.cudnn.deterministic is True and npnn.backends.cudnn.benchmark is False
        assert npnn.are_deterministic_algorithms_enabled()
        assert not npnn.is_deterministic_algorithms_warn_only_enabled()
        npnn.use_deterministic_algorithms(True, warn_only=True)
        assert npnn.is_deterministic_algorithms_warn_only_enabled()
    finally:
        npnn.use_deterministic_algorithms(False)
        npnn.backends.cudnn.deterministic = False
    assert not npnn.are_deterministic_algorithms_enabled()


def test_cudnn_defaults_and_queries_match_cpu_torch() -> None:
    for name in ("deterministic", "benchmark", "enabled", "allow_tf32"):
        assert getattr(npnn.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert npnn.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert npnn.backends.cudnn.version() is None


@pytest.mark.parametrize("args, kwargs", [((1,), {}), ((True,), {"warn_only": 1})])
def test_use_deterministic_algorithms_wants_bools_as_torch(args, kwargs) -> None:
    with pytest.raises(TypeError) as theirs:
        torch.use_deterministic_algorithms(*args, **kwargs)
    with pytest.raises(TypeError) as ours:
        npnn.use_deterministic_algorithms(*args, **kwargs)
    assert str(ours.value) == str(theirs.value)
