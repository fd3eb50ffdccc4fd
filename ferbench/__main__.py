"""`python -m ferbench ...` (and `torchrun --nproc_per_node N -m ferbench run ...`)."""

import sys

from .cli import main

sys.exit(main())
