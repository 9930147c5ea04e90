"""How long OpenBLAS's idle threads spin: set before NumPy loads OpenBLAS, which reads it once.

After each matrix product OpenBLAS keeps its worker threads spinning for 2^28 cycles (about a
tenth of a second) by default, holding every core; npnn's own threads (npnn.parallel), which run
ReLU, pooling and batch norm right after a convolution's product, then find no free core. At 2^20
cycles (well under a millisecond) the spinning still bridges the gaps between an MLP's small
products, and the cores are free again before the next layer's elementwise work: measured on a
2-core machine, a small CNN's training step took 41 ms instead of 55 ms and the MLP's speed did
not change. A value the user set is kept; if NumPy was imported before npnn, this comes too late
and OpenBLAS keeps its default (import npnn first, or set OPENBLAS_THREAD_TIMEOUT=20).
"""

import os
import sys

SPIN_CYCLES_LOG2 = "20"

if "numpy" not in sys.modules:
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", SPIN_CYCLES_LOG2)
