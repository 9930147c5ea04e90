"""npnn.distributions against torch.distributions: log_prob, entropy, kl_divergence and their
gradients (and rsample's) in float64 and float32; seeded statistics for sample; a REINFORCE
step equal to torch's from the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import distributions as D

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TD = torch.distributions
TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}
RNG = np.random.default_rng(0)

PARAMS = {
    "Normal": lambda: {"loc": RNG.standard_normal((2, 3)), "scale": RNG.uniform(0.5, 2, (2, 3))},
    "Uniform": lambda: {"low": RNG.uniform(-2, -1, (3,)), "high": RNG.uniform(1, 2, (3,))},
    "Categorical_probs": lambda: {"probs": RNG.uniform(0.1, 1, (2, 4))},
    "Categorical_logits": lambda: {"logits": RNG.standard_normal((3, 5))},
    "Bernoulli_probs": lambda: {"probs": RNG.uniform(0.1, 0.9, (4,))},
    "Bernoulli_logits": lambda: {"logits": RNG.standard_normal((2, 3))},
}


def _value(name: str, shape: tuple[int, ...]) -> np.ndarray:
    family = name.split("_")[0]
    if family == "Categorical":
        return RNG.integers(0, shape[-1], shape[:-1])
    if family == "Bernoulli":
        return RNG.integers(0, 2, shape).astype(np.float64)
    if family == "Uniform":
        return RNG.uniform(-0.9, 0.9, shape)
    return RNG.standard_normal(shape)


def _make(lib, name: str, params: dict, dtype) -> tuple:
    family = name.split("_")[0]
    tensors = {k: lib.tensor(v.astype(dtype), requires_grad=True) for k, v in params.items()}
    module = D if lib is npnn else TD
    return getattr(module, family)(**tensors), tensors


def _grads(tensors: dict) -> list:
    return [t.grad.numpy() if t.grad is not None else None for t in tensors.values()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("what", ["log_prob", "entropy"])
def test_values_and_gradients_match_torch(name: str, what: str, dtype) -> None:
    params = PARAMS[name]()
    ours, ours_in = _make(npnn, name, params, dtype)
    theirs, theirs_in = _make(torch, name, params, dtype)
    if what == "log_prob":
        value = _value(name, next(iter(params.values())).shape)
        value = value.astype(dtype) if value.dtype.kind == "f" else value
        mine, reference = ours.log_prob(npnn.tensor(value)), theirs.log_prob(torch.tensor(value))
    else:
        mine, reference = ours.entropy(), theirs.entropy()
    assert mine.shape == tuple(reference.shape) and mine.dtype == reference.detach().numpy().dtype
    np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), **TOL[dtype])
    if not reference.requires_grad:  # Uniform's log_prob depends on low/high only through log(high - low)
        return
    weights = RNG.standard_normal(mine.shape).astype(dtype)
    (mine * npnn.tensor(weights)).sum().backward()
    (reference * torch.tensor(weights)).sum().backward()
    for g, h in zip(_grads(ours_in), _grads(theirs_in), strict=True):
        assert (g is None) == (h is None)
        if h is not None:
            np.testing.assert_allclose(g, h, **TOL[dtype])


@pytest.mark.parametrize("family", ["Normal", "Uniform", "Categorical_logits", "Categorical_probs",
                                    "Bernoulli_probs", "Bernoulli_logits"])
def test_kl_divergence_matches_torch(family: str) -> None:
    p_params, q_params = PARAMS[family](), PARAMS[family]()
    if family == "Uniform":  # q covers p: finite; the other way round: inf
        q_params = {"low": p_params["low"] - 0.5, "high": p_params["high"] + 0.3}
    p, p_in = _make(npnn, family, p_params, np.float64)
    q, q_in = _make(npnn, family, q_params, np.float64)
    tp, tp_in = _make(torch, family, p_params, np.float64)
    tq, tq_in = _make(torch, family, q_params, np.float64)
    ours, theirs = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    for g, h in zip(_grads(p_in) + _grads(q_in), _grads(tp_in) + _grads(tq_in), strict=True):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)
    back_ours = D.kl_divergence(q, p).detach().numpy()
    back_theirs = TD.kl_divergence(tq, tp).detach().numpy()
    np.testing.assert_allclose(back_ours, back_theirs, rtol=1e-10)


def test_kl_with_zero_probabilities_as_torch() -> None:
    p, q = [0.0, 0.5, 0.5], [0.5, 0.5, 0.0]
    for a, b in ((p, q), (q, p), (p, p)):
        ours = D.kl_divergence(D.Categorical(npnn.tensor(a)), D.Categorical(npnn.tensor(b)))
        theirs = TD.kl_divergence(TD.Categorical(torch.tensor(a)), TD.Categorical(torch.tensor(b)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for a, b in ((0.0, 0.3), (0.3, 1.0), (1.0, 1.0)):
        ours = D.kl_divergence(D.Bernoulli(npnn.tensor(a)), D.Bernoulli(npnn.tensor(b)))
        theirs = TD.kl_divergence(TD.Bernoulli(torch.tensor(a)), TD.Bernoulli(torch.tensor(b)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_kl_of_different_families_is_refused() -> None:
    with pytest.raises(NotImplementedError, match=r"No KL.*p type Categorical and q type Normal"):
        TD.kl_divergence(TD.Categorical(logits=torch.zeros(2)), TD.Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match=r"No KL.*p type Categorical and q type Normal"):
        D.kl_divergence(D.Categorical(logits=npnn.zeros(2)), D.Normal(0.0, 1.0))
    # torch has some cross-family pairs (Normal ‖ Uniform); npnn only same-family ones, and says so
    with pytest.raises(NotImplementedError, match="one family"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))


@pytest.mark.parametrize("family", ["Normal", "Uniform"])
def test_rsample_gradient_matches_torch_given_the_same_noise(family: str) -> None:
    params = PARAMS[family]()
    ours, ours_in = _make(npnn, family, params, np.float64)
    theirs, theirs_in = _make(torch, family, params, np.float64)
    npnn.manual_seed(1)
    sample = ours.rsample((5,))
    # the same draw reproduced in torch: the standardized noise of our sample
    if family == "Normal":
        noise = (sample.detach().numpy() - params["loc"]) / params["scale"]
        torch_sample = theirs.loc + torch.tensor(noise) * theirs.scale
    else:
        noise = (sample.detach().numpy() - params["low"]) / (params["high"] - params["low"])
        torch_sample = theirs.low + torch.tensor(noise) * (theirs.high - theirs.low)
    (sample**2).sum().backward()
    (torch_sample**2).sum().backward()
    for g, h in zip(_grads(ours_in), _grads(theirs_in), strict=True):
        np.testing.assert_allclose(g, h, rtol=1e-10)
    assert sample.shape == (5, *ours.batch_shape) and not ours.sample().requires_grad


def test_samples_have_the_right_statistics() -> None:
    n = 200_000
    normal = D.Normal(npnn.tensor([1.0, -2.0]), npnn.tensor([0.5, 3.0])).sample((n,), npnn.Generator(0))
    np.testing.assert_allclose(normal.numpy().mean(0), [1.0, -2.0], atol=5 * 3.0 / n**0.5)
    np.testing.assert_allclose(normal.numpy().std(0), [0.5, 3.0], rtol=0.01)
    uniform = D.Uniform(-1.0, 3.0).sample((n,), npnn.Generator(1)).numpy()
    assert uniform.min() >= -1 and uniform.max() < 3
    assert abs(uniform.mean() - 1.0) < 5 * (16 / 12) ** 0.5 / n**0.5
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    counts = np.bincount(D.Categorical(npnn.tensor(probs)).sample((n,), npnn.Generator(2)).numpy(),
                         minlength=4)
    np.testing.assert_allclose(counts / n, probs, atol=5 * 0.5 / n**0.5)
    flips = D.Bernoulli(logits=npnn.tensor([0.0, 2.0])).sample((n,), npnn.Generator(3)).numpy()
    np.testing.assert_allclose(flips.mean(0), [0.5, 1 / (1 + np.exp(-2))], atol=5 * 0.5 / n**0.5)


def test_sample_shapes_dtypes_and_seeding_as_torch() -> None:
    for shape in ((), (4,), (2, 5)):
        ours = D.Categorical(logits=npnn.zeros(2, 3)).sample(shape)
        theirs = TD.Categorical(logits=torch.zeros(2, 3)).sample(shape)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == npnn.int64
    assert D.Bernoulli(0.3).sample((2,)).dtype == npnn.float32 == TD.Bernoulli(0.3).sample().numpy().dtype
    npnn.manual_seed(5)
    first = D.Normal(0.0, 1.0).sample((3,)).numpy()
    npnn.manual_seed(5)
    assert np.array_equal(D.Normal(0.0, 1.0).sample((3,)).numpy(), first)


@pytest.mark.parametrize("call", [
    lambda m: m.Categorical(),
    lambda m: m.Bernoulli(probs=0.5, logits=0.0),
    lambda m: m.Normal(0.0, -1.0),
    lambda m: m.Bernoulli(1.5),
])
def test_bad_arguments_raise_value_error_as_torch(call) -> None:
    with pytest.raises(ValueError) as theirs:
        call(TD)
    with pytest.raises(ValueError) as ours:
        call(D)
    assert str(ours.value).split(" (")[0].split(",")[0] == str(theirs.value).split(" (")[0].split(",")[0]


def test_repr_as_torch() -> None:
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    assert repr(D.Uniform(0.0, 2.0)) == repr(TD.Uniform(0.0, 2.0))


def _reinforce(lib, dist_module, steps: int = 3) -> np.ndarray:
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((2, 4)).astype(np.float32) * 0.3
    states = rng.standard_normal((steps, 6, 4)).astype(np.float32)
    actions = rng.integers(0, 2, (steps, 6))
    returns = rng.standard_normal((steps, 6)).astype(np.float32)
    policy = lib.nn.Linear(4, 2, bias=False)
    with lib.no_grad():
        policy.weight.copy_(lib.tensor(w0))
    opt = lib.optim.Adam(policy.parameters(), lr=0.05)
    for s, a, r in zip(states, actions, returns, strict=True):
        dist = dist_module.Categorical(logits=policy(lib.tensor(s)))
        loss = -(dist.log_prob(lib.tensor(a)) * lib.tensor(r)).mean() - 0.01 * dist.entropy().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return policy.weight.detach().numpy()


def test_reinforce_steps_match_torch() -> None:
    np.testing.assert_allclose(_reinforce(npnn, D), _reinforce(torch, TD), rtol=1e-5, atol=1e-6)


OUT_OF_SUPPORT = [
    ("Categorical", lambda m: m.distributions.Categorical(probs=m.tensor([0.2, 0.8])), -1),
    ("Categorical", lambda m: m.distributions.Categorical(probs=m.tensor([0.2, 0.8])), 0.5),
    ("Categorical", lambda m: m.distributions.Categorical(logits=m.tensor([0.2, 0.8, 0.1])), 3),
    ("Bernoulli", lambda m: m.distributions.Bernoulli(m.tensor(0.3)), 0.5),
    ("Uniform", lambda m: m.distributions.Uniform(m.tensor(0.0), m.tensor(1.0)), 1.5),
    ("Normal", lambda m: m.distributions.Normal(m.tensor(0.0), m.tensor(1.0)), float("nan")),
]


@pytest.mark.parametrize("name, make, value", OUT_OF_SUPPORT)
def test_log_prob_of_a_value_outside_the_support_raises_as_torch(name, make, value) -> None:
    with pytest.raises(ValueError, match="to be within the support"):
        make(torch).log_prob(torch.tensor(value))
    with pytest.raises(ValueError, match=r"Expected value argument .* to be within the support"):
        make(npnn).log_prob(npnn.tensor(value))


def test_validate_args_false_skips_the_support_check() -> None:
    uniform = npnn.distributions.Uniform(0.0, 1.0, validate_args=False)
    assert uniform.log_prob(npnn.tensor(1.5)).item() == float("-inf")
