"""Grad mode as torch's: no_grad/enable_grad/inference_mode as context managers and decorators
(with or without parentheses), set_grad_enabled as a plain call, a context and a decorator."""

from __future__ import annotations

import pytest

import npnn


@pytest.fixture(autouse=True)
def _restore_mode():
    yield
    npnn.set_grad_enabled(True)


def test_set_grad_enabled_as_a_plain_call_sets_the_mode() -> None:
    npnn.set_grad_enabled(False)
    assert not npnn.is_grad_enabled()
    assert not (npnn.ones(2, requires_grad=True) * 2).requires_grad
    npnn.set_grad_enabled(True)
    assert npnn.is_grad_enabled()


@pytest.mark.parametrize("outer", [True, False])
@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context_restores_the_mode_before_it(outer: bool, mode: bool) -> None:
    npnn.set_grad_enabled(outer)
    with npnn.set_grad_enabled(mode):
        assert npnn.is_grad_enabled() is mode
    assert npnn.is_grad_enabled() is outer


def test_set_grad_enabled_as_decorator_changes_the_mode_only_inside() -> None:
    @npnn.set_grad_enabled(False)
    def inside() -> bool:
        return npnn.is_grad_enabled()

    assert npnn.is_grad_enabled()  # decorating did not switch it off
    assert inside() is False
    assert npnn.is_grad_enabled()


# (id, decorator, mode inside; None: the mode outside) — bare and called forms alike
DECORATORS = [
    ("no_grad_bare", lambda f: npnn.no_grad(f), False),
    ("no_grad_called", lambda f: npnn.no_grad()(f), False),
    ("inference_mode_bare", lambda f: npnn.inference_mode(f), False),
    ("inference_mode_called", lambda f: npnn.inference_mode()(f), False),
    ("inference_mode_false", lambda f: npnn.inference_mode(False)(f), None),
    ("enable_grad_bare", lambda f: npnn.enable_grad(f), True),
    ("enable_grad_called", lambda f: npnn.enable_grad()(f), True),
]


@pytest.mark.parametrize(("decorate", "inside"), [d[1:] for d in DECORATORS],
                         ids=[d[0] for d in DECORATORS])
@pytest.mark.parametrize("outer", [True, False])
def test_decorators_with_and_without_parentheses(decorate, inside: bool | None, outer: bool) -> None:
    @decorate
    def probe(x: int) -> tuple[int, bool]:
        """A docstring that must survive."""
        return x, npnn.is_grad_enabled()

    npnn.set_grad_enabled(outer)
    assert probe(3) == (3, outer if inside is None else inside)
    assert npnn.is_grad_enabled() is outer
    assert probe.__doc__ == "A docstring that must survive."


def test_recursive_decorated_function_restores_each_level() -> None:
    @npnn.no_grad
    def depth(n: int) -> int:
        with npnn.enable_grad():
            assert npnn.is_grad_enabled()
        assert not npnn.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3 and npnn.is_grad_enabled()


def test_inference_mode_records_no_graph() -> None:
    x = npnn.ones(2, requires_grad=True)
    with npnn.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
