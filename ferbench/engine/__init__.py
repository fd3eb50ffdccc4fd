"""The runner: device and seeds, the supervised trainer, evaluation, timing, recording."""
