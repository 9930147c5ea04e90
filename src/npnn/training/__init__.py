"""The training workflow: config, Trainer, metrics, checkpoints, history, run directories."""

from npnn.training.config import ConfigError, TrainConfig
from npnn.training.history import EvalRecord, History
from npnn.training.reporter import Reporter
from npnn.training.run_dir import RunDir, open_run_dir
from npnn.training.trainer import FitResult, ResumeError, RunCompleteError, Trainer

__all__ = ["ConfigError", "EvalRecord", "FitResult", "History", "Reporter", "ResumeError",
           "RunCompleteError", "RunDir", "Trainer", "TrainConfig", "open_run_dir"]
