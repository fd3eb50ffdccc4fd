"""The runner: device and seeds, the supervised trainer, evaluation, timing, recording."""

import logging

# torch.utils.benchmark imports the C++ extension helper, which warns about a missing CUDA
# toolkit on CPU-only machines; nothing in ferbench compiles C++.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
