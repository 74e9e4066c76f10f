"""The one place TensorFlow and Keras are imported and set up.

TensorFlow is imported lazily (``--help`` stays instant) and quietly: its C++ start-up
chatter (CUDA probing on machines without a GPU) bypasses Python logging and would
otherwise land on every user's terminal. With ``-vv`` it is shown.
"""

from __future__ import annotations

import logging
import os
import sys
from types import ModuleType

log = logging.getLogger(__name__)


def import_keras() -> ModuleType:
    """Import TensorFlow and Keras (once), hiding the C++ start-up log unless debugging."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        import keras
        import tensorflow  # noqa: F401

        return keras
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return keras
