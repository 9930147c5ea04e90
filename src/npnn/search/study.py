"""The Optuna study of a search: its options, storage, sampler and queue of grid points.

A grid is enqueued into the study as waiting trials, one per grid point, and workers pop
them atomically from the storage, so workers never train the same point twice at once.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import sqlite3
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from sqlalchemy.exc import ArgumentError

from npnn.search.results import ResultsError, read_csv
from npnn.search.space import SearchSpace
from npnn.search.storage_lock import file_lock, storage_lock

try:  # Optuna's own tables: private, so a change there only disables the check that reads them
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session
except ImportError:  # pragma: no cover - another Optuna: SearchStorage's extra check does nothing
    models = _create_scoped_session = None

HEARTBEAT_SECONDS = 5
GRACE_SECONDS = 20  # a RUNNING trial without a heartbeat for this long belongs to a dead worker
DEFAULT_TRIALS = 20  # for random and TPE samplers without --trials
MAX_GRID = 10_000  # grid points enqueued without --max-grid
POPULATION_SIZE = 25  # trials of one layout trained together at most (--population-size)
SQLITE_HEADER = b"SQLite format 3\x00"


class SearchError(ValueError):
    """A search that cannot start as asked; the message says what to change."""


class StorageError(ConnectionError):
    """The study's storage could not be opened (database down, locked or unreachable)."""


def masked_url(url: str) -> str:
    """`url` with its password (if any) replaced by ***, fit to print."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


@dataclass
class SearchOptions:
    """Everything that defines one `npnn search` invocation."""

    out: Path
    space: SearchSpace
    space_source: str
    sampler: str | None = None
    seed: int = 0
    trials: int | None = None
    jobs: int = 1
    prune: bool = False
    storage: str | None = None
    study: str = "npnn-search"
    overrides: dict[str, Any] = field(default_factory=dict)
    heartbeat_seconds: int = HEARTBEAT_SECONDS
    grace_seconds: int = GRACE_SECONDS
    max_grid: int = MAX_GRID
    # trials of one layout trained together as one stacked model, at most this many (<= 1: off)
    population_size: int = POPULATION_SIZE

    @property
    def sampler_name(self) -> str:
        return self.sampler or self.space.sampler

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(Path(self.out) / 'study.db').resolve()}"

    @property
    def study_db(self) -> Path | None:
        """The SQLite file of the default storage (None with --storage)."""
        return None if self.storage else Path(self.out) / "study.db"

    @property
    def storage_name(self) -> str:
        """The storage as a message names it: the study.db path, or the URL without password."""
        return str(self.study_db) if self.storage is None else masked_url(self.storage)

    @property
    def csv_path(self) -> Path:
        return Path(self.out) / "search_result.csv"

    def record(self) -> dict[str, Any]:
        """What must match for a rerun in the same folder to continue the same search."""
        return {"space": self.space_source, "sampler": self.sampler_name, "seed": self.seed,
                "study": self.study, "overrides": self.overrides, "grid": self.space.grid()
                if self.sampler_name == "grid" else None}


def open_study(options: SearchOptions, worker: int = 0, attempts: int = 5) -> Any:
    """Load or create the study, with heartbeats so that dead workers' trials are retried.

    Workers started at the same moment on a new storage race to create its tables and the
    study; the loser of such a race simply tries again.
    """
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # ERROR: a failed trial's reason is printed on its progress line, not as Optuna's traceback
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url = options.storage_url
    engine_kwargs = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    pruner = optuna.pruners.MedianPruner(n_warmup_steps=0) if options.prune else optuna.pruners.NopPruner()
    _check_storage_url(url)  # a mistake in the URL is not worth retrying
    for attempt in range(attempts):
        try:
            storage = SearchStorage(
                url, engine_kwargs=engine_kwargs, heartbeat_interval=options.heartbeat_seconds,
                grace_period=options.grace_seconds,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
            return optuna.create_study(storage=storage, study_name=options.study, direction="maximize",
                                       sampler=_sampler(options, worker), pruner=pruner,
                                       load_if_exists=True)
        except Exception as error:  # a concurrent creation; a persistent problem recurs and is raised
            if attempt == attempts - 1:
                raise _cannot_open(options.study, url, error) from error
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def load_trials(url: str, study_name: str) -> list[Any]:
    """The trials of an existing study (SearchError naming the study and URL if there is none)."""
    _check_storage_url(url)
    database = sqlalchemy.engine.make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:" and not Path(database).is_file():
        raise SearchError(f"--storage {masked_url(url)}: {database} does not exist (reading a summary "
                          "creates no database): give the storage the workers used")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        storage = optuna.storages.RDBStorage(url, skip_table_creation=True)  # reading writes nothing
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise SearchError(f"--storage {masked_url(url)} holds no study named {study_name!r}: give the "
                          "--study the workers used") from None
    except Exception as error:
        raise _cannot_open(study_name, url, error) from error
    return study.get_trials(deepcopy=False)


def _cannot_open(study: str, url: str, error: Exception) -> StorageError:
    return StorageError(f"cannot open study {study!r} in {masked_url(url)}: "
                        f"{type(error).__name__}: {str(error).splitlines()[0]}")


def check_study_db(options: SearchOptions) -> None:
    """StorageError naming study.db if it exists but is not an intact SQLite database, or is
    empty beside results. Called once, before the workers start (they would lock it).

    Opened as it is, a damaged file either fails on every trial or, when empty, silently
    becomes a new study beside the old results.
    """
    path = options.study_db
    if path is None or not path.exists():
        return
    fix = (f"restore {path.name} from a backup, or move {path.name}, search_result.csv and runs/ "
           "out of the folder to start the search again (or give another --out)")
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header == b"":
            return _check_numbers(set(), options)  # killed while SQLite created it: fine if alone
        if header != SQLITE_HEADER:
            raise StorageError(f"{path} is damaged: not an SQLite database; {fix}")
        connection = sqlite3.connect(path, timeout=60)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            studies = connection.execute("SELECT name FROM sqlite_master WHERE name = 'studies'").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{path} is damaged ({error}); {fix}") from None
    if check != "ok":
        raise StorageError(f"{path} is damaged (SQLite's check says: {check}); {fix}")
    if not studies:  # no study yet: refused before Optuna writes its tables, if results exist
        _check_numbers(set(), options)


def check_results_known(study: Any, options: SearchOptions) -> None:
    """StorageError if the search folder holds trials that the study does not know.

    Such a study was replaced or emptied; continuing it would train the grid again beside the
    old run directories and overwrite search_result.csv with fewer rows.
    """
    _check_numbers({trial.number for trial in study.get_trials(deepcopy=False)}, options)


def _check_numbers(numbers: set[int], options: SearchOptions) -> None:
    runs = Path(options.out) / "runs"
    unknown = sorted(path for path in runs.glob("trial-*") if _trial_number(path.name) not in numbers)
    if options.csv_path.is_file():
        try:
            rows = read_csv(options.csv_path)
        except ResultsError:
            rows = []
        unknown += [options.csv_path] if any(_trial_number(f"trial-{row['no']}") not in numbers
                                             for row in rows) else []
    if unknown:
        raise StorageError(
            f"{options.storage_name} does not record the trials of {unknown[0]}"
            f"{f' and {len(unknown) - 1} more' if len(unknown) > 1 else ''}: the study was "
            "replaced or emptied; restore it from a backup, or move study.db, search_result.csv and "
            "runs/ out of the folder to start the search again (or give another --out)")


def _trial_number(name: str) -> int | None:
    """N of a run directory named trial-N (None for another name)."""
    match = re.match(r"trial-(\d+)", name)
    return int(match[1]) if match else None


def _check_storage_url(url: str) -> None:
    """SearchError for a URL SQLAlchemy cannot use: a typo or a database driver not installed."""
    try:
        dialect = sqlalchemy.engine.make_url(url).get_dialect()
        (getattr(dialect, "import_dbapi", None) or dialect.dbapi)()  # SQLAlchemy 2 or 1.4
    except (ArgumentError, ImportError) as error:
        raise SearchError(f"--storage {masked_url(url)}: cannot use it ({error}); give an SQLAlchemy "
                          "URL such as sqlite:///study.db or postgresql://user:password@host/db, "
                          "with its driver installed") from None


class SearchStorage(optuna.storages.RDBStorage):
    """Optuna's RDBStorage, also failing trials whose worker died before their first heartbeat.

    Optuna ignores a RUNNING trial with no heartbeat at all; a worker killed between taking a
    trial and its first heartbeat would leave that grid point RUNNING for ever.
    """

    def set_trial_state_values(self, trial_id: int, state: Any, values: Any = None) -> bool:
        # SQLite ignores SELECT ... FOR UPDATE, so two processes could both take the same
        # waiting trial; a file lock makes taking one atomic there.
        if state != optuna.trial.TrialState.RUNNING or not self.url.startswith("sqlite:///"):
            return super().set_trial_state_values(trial_id, state, values)
        with file_lock(self.url):
            return super().set_trial_state_values(trial_id, state, values)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        stale = super()._get_stale_trial_ids(study_id)
        grace = self.grace_period or 2 * (self.heartbeat_interval or 0)
        limit = datetime.datetime.now() - datetime.timedelta(seconds=grace)
        try:  # Optuna's own tables (imported above): an error there only disables this check
            with _create_scoped_session(self.scoped_session, True) as session:
                running = (session.query(models.TrialModel)
                           .filter(models.TrialModel.state == optuna.trial.TrialState.RUNNING)
                           .filter(models.TrialModel.study_id == study_id).all())
                stale += [trial.trial_id for trial in running if not trial.heartbeats
                          and trial.datetime_start is not None and trial.datetime_start < limit
                          and trial.trial_id not in stale]
        except Exception:  # the heartbeat-based check above still works
            pass
        return stale


def _sampler(options: SearchOptions, worker: int) -> Any:
    seed = options.seed + worker  # workers must not all propose the same random points
    if options.sampler_name in ("grid", "random"):  # grid trials are enqueued: never sampled
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def enqueue_grid(study: Any, space: SearchSpace) -> int:
    """Add every grid point that has no trial yet (in any state) as a waiting trial.

    Under the storage's lock (storage_lock), so that workers starting together on one study,
    on one machine or several, put the grid in once: the first adds it, the others find it.
    """
    storage = getattr(study._storage, "_backend", study._storage)  # Optuna's cache wraps it
    with storage_lock(storage, f"npnn-grid:{study.study_name}"):
        names = list(space.grid())
        seen = {_point_key(t.system_attrs.get("fixed_params") or t.params)
                for t in study.get_trials(deepcopy=False)}
        added = 0
        for values in itertools.product(*space.grid().values()):
            point = dict(zip(names, values, strict=True))
            if _point_key(point) not in seen:
                study.enqueue_trial(point, skip_if_exists=False)
                added += 1
    return added


def _point_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)
