"""Signals as a terminal gives them, whatever started pytest.

A shell starts a background job (`pytest &`, `nohup pytest`) with SIGINT (and, with nohup,
SIGHUP) ignored, and a child process inherits that: the tests that send Ctrl-C or a hangup to
`npnn train` would then test nohup's behaviour instead of a terminal's. So the test process
restores the defaults once, before any child starts.
"""

import signal

signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
