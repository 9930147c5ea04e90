"""Module hooks and get_parameter/get_buffer against PyTorch: the same model, hooks and inputs in
both libraries must log the same calls, arguments and values."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def arr(value: Any) -> Any:
    """A hook argument as NumPy (None and non-tensors as they are)."""
    if isinstance(value, (tuple, list)):
        return [arr(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    if isinstance(value, npnn.Tensor):
        return value.detach().numpy().copy()
    return value


def assert_same_log(ours: list[Any], theirs: list[Any]) -> None:
    assert len(ours) == len(theirs), f"{[e[0] for e in ours]} vs {[e[0] for e in theirs]}"
    for mine, other in zip(ours, theirs, strict=True):
        assert mine[0] == other[0], f"{mine[0]} vs {other[0]}"
        for a, b in zip(mine[1:], other[1:], strict=True):
            if isinstance(b, list):
                assert len(a) == len(b), mine[0]
                for x, y in zip(a, b, strict=True):
                    assert (x is None) == (y is None), mine[0]
                    if y is not None:
                        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6, err_msg=mine[0])
            elif isinstance(b, np.ndarray):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=mine[0])
            else:
                assert a == b, mine[0]


def mlp(lib: Any) -> Any:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    if lib is torch:
        return model
    ours = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    ours.load_state_dict({k: v.detach().numpy() for k, v in model.state_dict().items()})
    return ours


X = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)


def both(run: Any) -> None:
    """Run `run(lib, log)` with torch and npnn and compare the logs."""
    logs = []
    for lib in (torch, npnn):
        log: list[Any] = []
        run(lib, log)
        logs.append(log)
    assert_same_log(logs[1], logs[0])


def test_forward_pre_and_forward_hooks_order_arguments_and_replacement() -> None:
    def run(lib: Any, log: list[Any]) -> None:
        model = mlp(lib)
        model[0].register_forward_pre_hook(lambda m, args: log.append(("pre0", arr(args))))
        model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        model[0].register_forward_pre_hook(lambda m, args: log.append(("pre0-first", arr(args))),
                                           prepend=True)
        model[1].register_forward_hook(lambda m, args, out: log.append(("fw1", arr(args), arr(out))))
        model[1].register_forward_hook(lambda m, args, out: out + 1)
        model[1].register_forward_hook(lambda m, args, out: log.append(("fw1-after", arr(out))))
        model.register_forward_hook(lambda m, args, out: log.append(("fw-model", arr(out))))
        out = model(lib.tensor(X))
        log.append(("out", arr(out)))
    both(run)


def test_hooks_with_kwargs_and_a_bare_value_from_a_pre_hook() -> None:
    def run(lib: Any, log: list[Any]) -> None:
        layer = mlp(lib)[0]
        layer.register_forward_pre_hook(lambda m, args: args[0] + 1)  # not a tuple: wrapped
        layer.register_forward_pre_hook(lambda m, args, kwargs: log.append(("pre", arr(args), kwargs)),
                                        with_kwargs=True)
        layer.register_forward_hook(lambda m, args, kwargs, out: log.append(("fw", arr(out), kwargs)),
                                    with_kwargs=True)
        log.append(("out", arr(layer(lib.tensor(X)))))
    both(run)


def test_pre_hook_with_kwargs_refuses_a_bad_return_with_torch_message() -> None:
    for lib in (torch, npnn):
        layer = mlp(lib)[0]
        layer.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
        with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of "
                                               r"\(new_args, new_kwargs\), but got 5\."):
            layer(lib.tensor(X))


def test_handle_remove_and_context_manager() -> None:
    def run(lib: Any, log: list[Any]) -> None:
        layer = mlp(lib)[0]
        handle = layer.register_forward_hook(lambda m, a, o: log.append(("a",)))
        with layer.register_forward_hook(lambda m, a, o: log.append(("b",))):
            layer(lib.tensor(X))
        layer(lib.tensor(X))
        handle.remove()
        handle.remove()  # twice is fine
        layer(lib.tensor(X))
        log.append(("ids differ", handle.id != layer.register_forward_hook(lambda *a: None).id))
    both(run)
    layer = nn.Linear(2, 2)
    layer.register_forward_pre_hook(lambda m, a: None).remove()
    assert layer._module_hooks is None  # back on the fast path


def test_always_call_runs_when_forward_raises() -> None:
    class Boom(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            raise ValueError("boom")

    class OurBoom(nn.Module):
        def forward(self, x: Any) -> Any:
            raise ValueError("boom")

    def run(lib: Any, log: list[Any]) -> None:
        module = Boom() if lib is torch else OurBoom()
        module.register_forward_hook(lambda m, a, o: log.append(("always", o)), always_call=True)
        module.register_forward_hook(lambda m, a, o: log.append(("not",)))
        with pytest.raises(ValueError, match="boom"):
            module(lib.tensor(X))
    both(run)


@pytest.mark.parametrize("x_grad", [True, False])
def test_full_backward_hooks_arguments_order_and_gradients(x_grad: bool) -> None:
    def run(lib: Any, log: list[Any]) -> None:
        model = mlp(lib)
        for i, layer in enumerate(model):
            layer.register_full_backward_pre_hook(lambda m, go, i=i: log.append((f"pre{i}", arr(go))))
            layer.register_full_backward_hook(
                lambda m, gi, go, i=i: log.append((f"bw{i}", arr(gi), arr(go))))
        x = lib.tensor(X, requires_grad=x_grad)
        model(x).pow(2).sum().backward()
        log.append(("grads", [arr(p.grad) for p in model.parameters()]))
        if x_grad:
            log.append(("x.grad", arr(x.grad)))
    with pytest.warns(UserWarning, match="no inputs require gradients") if not x_grad else _nothing():
        both(run)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None


def test_backward_hooks_returning_none_leave_gradients_unchanged() -> None:
    plain, hooked = mlp(npnn), mlp(npnn)
    for layer in hooked:
        layer.register_full_backward_hook(lambda m, gi, go: None)
        layer.register_full_backward_pre_hook(lambda m, go: None)
    xs = [npnn.tensor(X, requires_grad=True) for _ in range(2)]
    for model, x in zip((plain, hooked), xs, strict=True):
        model(x).pow(2).sum().backward()
    for a, b in zip(plain.parameters(), hooked.parameters(), strict=True):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(xs[0].grad.numpy(), xs[1].grad.numpy())


def test_backward_hooks_replacing_grad_output_and_grad_input() -> None:
    def run(lib: Any, log: list[Any]) -> None:
        model = mlp(lib)
        model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * -2,), prepend=True)
        model[1].register_full_backward_hook(lambda m, gi, go: log.append(("second", arr(gi))))
        x = lib.tensor(X, requires_grad=True)
        model(x).sum().backward()
        log.append(("grads", [arr(p.grad) for p in model.parameters()] + [arr(x.grad)]))
    both(run)


def test_backward_hook_with_several_inputs_and_a_non_tensor() -> None:
    def forward(self: Any, a: Any, k: int, b: Any) -> Any:
        return a * b * k

    def run(lib: Any, log: list[Any]) -> None:
        module = type("Mul", (torch.nn.Module if lib is torch else nn.Module,), {"forward": forward})()
        module.register_full_backward_hook(lambda m, gi, go: log.append(("bw", arr(gi), arr(go))))
        a = lib.tensor(X, requires_grad=True)
        b = lib.tensor(X[::-1].copy(), requires_grad=True)
        module(a, 3, b).sum().backward()
        log.append(("grads", arr(a.grad), arr(b.grad)))
    both(run)


def test_backward_hook_returning_wrong_length_is_refused_as_torch() -> None:
    for lib in (torch, npnn):
        layer = mlp(lib)[0]
        layer.register_full_backward_hook(lambda m, gi, go: (None, None))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                               "grad_input, got 2, but expected 1"):
            layer(lib.tensor(X, requires_grad=True)).sum().backward()


def test_grad_cam_capture_of_a_conv_layer_equals_torch() -> None:
    rng = np.random.default_rng(1)
    images = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 6 * 6, 3))
    ours = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    cams = []
    for lib, model in ((torch, theirs), (npnn, ours)):
        saved: dict[str, Any] = {}
        conv = model.get_submodule("0")
        conv.register_forward_hook(lambda m, a, out, saved=saved: saved.update(act=out))
        conv.register_full_backward_hook(lambda m, gi, go, saved=saved: saved.update(grad=go[0]))
        scores = model(lib.tensor(images))
        with pytest.warns(UserWarning, match="no inputs require gradients"):  # images need no grad
            scores[:, 1].sum().backward()
        act, grad = arr(saved["act"]), arr(saved["grad"])
        weights = grad.mean(axis=(2, 3), keepdims=True)
        cams.append((act, grad, np.maximum((weights * act).sum(axis=1), 0)))
    for mine, other in zip(cams[1], cams[0], strict=True):
        np.testing.assert_allclose(mine, other, rtol=1e-5, atol=1e-6)


def test_deepcopy_keeps_hooks_and_state_dict_is_unchanged_as_torch() -> None:
    for lib in (torch, npnn):
        model = mlp(lib)
        calls: list[str] = []
        handle = model[0].register_forward_hook(lambda m, a, o, calls=calls: calls.append("hook"))
        keys = list(model.state_dict())
        clone = copy.deepcopy(model)
        clone(lib.tensor(X))
        assert calls == ["hook"]
        handle.remove()  # removes it from the original only
        clone(lib.tensor(X))
        model(lib.tensor(X))
        assert calls == ["hook", "hook"]
        assert keys == ["0.weight", "0.bias", "2.weight", "2.bias"]


@pytest.mark.parametrize("target", ["0.weight", "0.bias", "0.running_mean", "0.num_batches_tracked",
                                    "0.foo", "0.weight.x", "1.weight", "", "0.training"])
def test_get_parameter_and_get_buffer_match_torch(target: str) -> None:
    models = {lib: lib.nn.Sequential(lib.nn.BatchNorm1d(2)) for lib in (torch, npnn)}
    for getter in ("get_parameter", "get_buffer"):
        outcomes = []
        for model in models.values():
            try:
                outcomes.append(("ok", arr(getattr(model, getter)(target))))
            except AttributeError as error:
                outcomes.append(("error", str(error)))
        assert outcomes[1][0] == outcomes[0][0], (getter, target, outcomes)
        if outcomes[0][0] == "ok":
            np.testing.assert_array_equal(outcomes[1][1], outcomes[0][1])
        else:
            assert outcomes[1][1] == outcomes[0][1]
    bn = nn.BatchNorm1d(2)
    assert bn.get_parameter("weight") is bn.weight
    assert bn.get_buffer("running_var") is bn.running_var


def test_deprecated_register_backward_hook_is_refused_by_name() -> None:
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        nn.Linear(2, 2).register_backward_hook(lambda m, gi, go: None)


def test_backward_hooks_survive_deepcopy_and_retain_graph_backward_twice() -> None:
    model = copy.deepcopy(mlp(npnn).requires_grad_(True))
    seen: list[int] = []
    model[0].register_full_backward_hook(lambda m, gi, go: seen.append(len(gi)))
    clone = copy.deepcopy(model)
    out = clone(npnn.tensor(X, requires_grad=True)).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert seen == [1, 1]


def test_backward_hooks_on_a_module_with_two_outputs() -> None:
    def forward(self: Any, a: Any) -> Any:
        return a * 2, a.tanh()

    def run(lib: Any, log: list[Any]) -> None:
        module = type("Two", (torch.nn.Module if lib is torch else nn.Module,), {"forward": forward})()
        module.register_full_backward_pre_hook(lambda m, go: log.append(("pre", arr(go))))
        module.register_full_backward_hook(lambda m, gi, go: log.append(("bw", arr(gi), arr(go))))
        a = lib.tensor(X, requires_grad=True)
        first, second = module(a)
        (first.pow(2).sum() + (second * 3).sum()).backward()
        log.append(("grad", arr(a.grad)))
    both(run)
