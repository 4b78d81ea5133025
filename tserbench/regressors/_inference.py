"""A fitted deep regressor's prediction (fast, quiet) and serialisation.

Prediction calls the network directly for small inputs and a traced,
cached ``tf.function`` in large batches otherwise; pickling keeps the fitted
Keras model (sktime's ``BaseDeepRegressor`` drops it).
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

__all__ = ["InferenceMixin"]

#: up to this many series, ``predict`` calls the model directly (no tracing)
_EAGER_PREDICT_MAX = 256


class InferenceMixin:
    """Prediction and persistence of the deep regressors (mixed into their base class, before sktime's)."""

    def _predict(self, X, **kwargs) -> np.ndarray:
        """Predict [Fe/H] for ``X``; quiet, in large batches."""
        X3 = self._as_keras_input(X)
        if not getattr(self, "masked_", False) and self._has_padding(X3):
            raise ValueError(
                f"{type(self).__name__}: X has padded (all -1) time steps but the "
                "model was fitted without masking (its training series were all "
                "of equal length); fit it on padded / unequal-length data"
            )
        X3 = self._scale_input(X3)
        if len(X3) <= _EAGER_PREDICT_MAX:
            # a direct call skips tracing the inference function;
            # for larger inputs the traced function is faster
            y_pred = self.model_(X3, training=False)
        else:
            # the input signature converts each float32 numpy batch to a tensor
            forward = self._forward_function()
            batch_size = max(1, int(self.predict_batch_size))
            y_pred = np.concatenate(
                [forward(X3[i : i + batch_size]).numpy() for i in range(0, len(X3), batch_size)]
            )
        y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
        scale = getattr(self, "target_scale_", None)
        return y_pred if scale is None else y_pred * scale[1] + scale[0]

    def _predict_with_xla(self) -> bool:
        """Whether ``predict`` runs under XLA (``predict_jit_compile``, else ``jit_compile``)."""
        if self.run_eagerly:
            return False
        wanted = self.jit_compile if self.predict_jit_compile is None else self.predict_jit_compile
        return bool(wanted)

    def _forward_function(self):
        """The fitted model's inference pass as a ``tf.function``, traced once and cached.

        Written here instead of calling ``keras.Model.predict``: Keras' predict
        loop (data adapter, callbacks, per-batch conversion) is a large share
        of a small network's inference time (docs/performance.md measures
        both).  The input signature leaves the batch dimension free, so the
        last, shorter batch does not retrace.  Cached outside the pickled state (see ``__getstate__``).
        """
        forward = self.__dict__.get("_forward")
        if forward is None:
            from tserbench._tf import import_tensorflow

            tf = import_tensorflow()
            model = self.model_
            spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
            forward = tf.function(
                lambda x: model(x, training=False),
                input_signature=[spec],
                jit_compile=self._predict_with_xla(),
            )
            self._forward = forward
        return forward

    # ----------------------------------------------------------- persistence
    # sktime's BaseDeepRegressor drops ``model_`` from the pickled state and
    # saves it separately as legacy HDF5, which breaks deepcopy of a fitted
    # estimator and fails for Masking models.  Keras 3 models pickle natively
    # (``.keras`` format in memory), so the whole estimator is pickled as is.
    def __getstate__(self) -> dict[str, Any]:
        """Return the full state, fitted Keras model included (not the cached traced function)."""
        state = self.__dict__.copy()
        state.pop("_forward", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the state written by :meth:`__getstate__`."""
        self.__dict__.update(state)

    def save(self, path=None, serialization_format: str = "pickle"):
        """Save the estimator (fitted model included) in memory or to a zip file.

        Parameters
        ----------
        path : None, str or Path, default=None
            None: return an in-memory serialisation for ``sktime.base.load``;
            otherwise write ``<path>.zip``.
        serialization_format : {"pickle", "cloudpickle"}, default="pickle"

        Returns
        -------
        tuple (in memory) or zipfile.ZipFile (on disk)
        """
        from sktime.base import BaseObject

        return BaseObject.save(self, path=path, serialization_format=serialization_format)

    @classmethod
    def load_from_serial(cls, serial):
        """Load an estimator from the second element of ``save(None)``."""
        return pickle.loads(serial)

    @classmethod
    def load_from_path(cls, serial):
        """Load an estimator from a zip file written by ``save(path)``."""
        from zipfile import ZipFile

        with ZipFile(serial, "r") as file:
            return pickle.loads(file.open("_obj").read())
