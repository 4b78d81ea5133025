"""Import TensorFlow/Keras quietly.

On a CPU-only machine TensorFlow prints CUDA, cuDNN and oneDNN messages when
it is imported; some are written by C++ code before Python logging is set
up.  :func:`import_tensorflow` sets the environment variables that silence
most of them and redirects file descriptor 2 around the import for the rest.
Call it (or :func:`import_keras`) instead of ``import tensorflow`` anywhere
in tserbench.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

__all__ = ["import_tensorflow", "import_keras", "quiet_stderr"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@contextmanager
def quiet_stderr():
    """Redirect the process-level stderr (fd 2) to /dev/null inside the block."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, notebooks
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            sys.stderr.flush()
            os.dup2(devnull.fileno(), fd)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def import_tensorflow():
    """Return the ``tensorflow`` module, imported without CUDA/oneDNN noise."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with quiet_stderr():
        import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    return tf


def import_keras():
    """Return the ``keras`` module, imported quietly (imports TensorFlow first)."""
    import_tensorflow()
    import keras

    return keras
