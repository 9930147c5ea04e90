"""`npnn.distributions`: the probability distributions of policy-gradient code (REINFORCE,
actor-critic), with torch.distributions' names and formulas: Normal, Uniform (reparameterized
`rsample`), Categorical, Bernoulli, and `kl_divergence` within each family. Samples come from
npnn's generator (`npnn.manual_seed`), so they are not torch's numbers."""

from npnn.distributions.continuous import Normal, Uniform
from npnn.distributions.discrete import Bernoulli, Categorical
from npnn.distributions.distribution import Distribution
from npnn.distributions.kl import kl_divergence

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "kl_divergence"]
