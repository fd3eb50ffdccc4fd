"""synthfer: ferbench's built-in procedural FACS face dataset.

Each subject has its own face geometry and colouring; each expression is a combination of
FACS action units with random intensities after the EMFACS prototypes; pose, framing,
lighting, blur and noise vary per image. Labels: expression, AU presence and intensity,
68 iBUG landmarks, and subject ids for subject-independent splits and transfer pairs.
"""

from .actions import AU_CODES, AU_NAMES, CLASS_NAMES
from .dataset import load, render_pairs

__all__ = ["load", "render_pairs", "AU_CODES", "AU_NAMES", "CLASS_NAMES"]
