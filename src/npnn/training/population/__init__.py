"""Train the runs of one layout and batch size together, as one stacked model."""

from npnn.training.population.members import population_key, unsupported
from npnn.training.population.trainer import PopulationError, PopulationTrainer

__all__ = ["PopulationError", "PopulationTrainer", "population_key", "unsupported"]
