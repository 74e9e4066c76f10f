"""The digit classifier's classes: ten digits, "not a digit" and "touching digits".

The architecture that outputs them is built in :mod:`batchreader.training.model`.
"""

from __future__ import annotations

NOT_A_DIGIT = 10
"""Class index for marks that are not handwritten digits (letters, X marks, dashes, scribbles)."""
TOUCHING = 11
"""Class index for glyphs of several digits written so close that they touch: never a
reading, a sign that the glyph must be cut."""
CLASS_NAMES = [str(d) for d in range(10)] + ["not-a-digit", "touching-digits"]
NUM_CLASSES = len(CLASS_NAMES)
