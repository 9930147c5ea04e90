"""A throw-away PostgreSQL server for the tests: its own cluster in a temporary folder, on
127.0.0.1 and a free port, stopped and removed afterwards.

PostgreSQL refuses to run as root: as root, the cluster belongs to (and runs as) the `postgres`
system user that Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

USER, PASSWORD = "npnn", "npnn-test-pw"
GET_IT = "scripts/get-postgres installs Debian's postgresql"


class UnavailableError(RuntimeError):
    """No server can be started here; the message says what is missing and how to get it."""


def binaries() -> Path:
    """The folder holding initdb and pg_ctl: Debian's newest version, else the PATH's."""
    debian = sorted(Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p).parent.name.isdigit())
    debian.sort(key=lambda folder: int(folder.parent.name), reverse=True)
    on_path = [Path(found).parent for found in [shutil.which("initdb")] if found]
    for folder in debian + on_path:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise UnavailableError(f"PostgreSQL's initdb and pg_ctl are not installed ({GET_IT})")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str], owner: pwd.struct_passwd | None) -> list[str]:
    if owner is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", owner.pw_name, "--", *command]
    return ["su", owner.pw_name, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(command: list[str], owner: pwd.struct_passwd | None, cwd: Path, what: str) -> None:
    done = subprocess.run(_as_owner(command, owner), cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        log = cwd / "server.log"
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        output = (done.stderr or done.stdout)[-800:]
        raise UnavailableError(f"{what} failed ({done.returncode}): {output}{tail}")


@contextlib.contextmanager
def server() -> Iterator[str]:
    """Start a server; yield an SQLAlchemy URL of its `npnn` database (user `npnn`, password
    auth on TCP); stop it (fast) and remove its folder afterwards, however the tests went."""
    try:
        import psycopg  # noqa: F401  (the driver SQLAlchemy takes for postgresql://, as the README's)
    except ImportError:
        raise UnavailableError("the PostgreSQL driver psycopg is not installed (pip install "
                               "'psycopg[binary]>=3.1,<4', in the 'test' extra)") from None
    bin_dir = binaries()
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise UnavailableError("running as root, PostgreSQL needs the 'postgres' system user "
                              f"({GET_IT}, which creates it)") from None
    base = Path(tempfile.mkdtemp(prefix="npnn-postgres-"))
    data = base / "data"
    try:
        (base / "pw").write_text(PASSWORD + "\n")
        if owner is not None:
            for path in (base, base / "pw"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={base / 'pw'}",
              "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync"],
             owner, base, "initdb")
        port = _free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-o", options,
              "-w", "-t", "60", "start"], owner, base, "pg_ctl start")
        yield f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"  # the README's form
    finally:
        if (data / "postmaster.pid").exists():  # also after a start that timed out
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                                     owner), cwd=base, capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; yield its URL; drop it (and its connections) after."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:12]}"

    def execute(statement: str) -> None:
        # autocommit: CREATE/DROP DATABASE cannot run in a transaction
        with psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                             dbname=url.database, autocommit=True) as connection:
            connection.execute(statement)

    execute(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # a killed worker's connection too
