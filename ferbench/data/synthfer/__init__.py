"""synthfer: ferbench's built-in procedural FACS face dataset.

Each subject has its own face geometry and colouring; each expression is a combination of
FACS action units with random intensities after the EMFACS prototypes; pose, framing,
lighting, blur and noise vary per take, and a subject shows every expression in each take.
Labels: expression, AU presence and intensity, 68 iBUG landmarks, subject ids for
subject-independent splits, and pair keys (subject and take) for transfer; `render_truths`
draws the exact transfer truth of any source and target sample.
"""

from .actions import AU_CODES, AU_NAMES, CLASS_NAMES
from .dataset import load, render_pairs
from .truth import render_truths

__all__ = ["load", "render_pairs", "render_truths", "AU_CODES", "AU_NAMES", "CLASS_NAMES"]
