"""The `npnn` command and `python -m npnn`."""

import subprocess
import sys

import npnn
from npnn.cli import main


def test_main_prints_version(capsys):
    assert main([]) == 0
    assert npnn.__version__ in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "npnn", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and npnn.__version__ in result.stdout
