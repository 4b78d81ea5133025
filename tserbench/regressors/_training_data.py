"""What a deep regressor's fit does to the data before Keras sees it.

Padding and masking of unequal-length input, DG22's density weights of the
training targets, standardisation of input and target, and the internal
validation split of early stopping: the data side of
:class:`~tserbench.regressors._base.BaseTserbenchDeepRegressor`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TrainingDataMixin"]


class TrainingDataMixin:
    """Data preparation of the deep regressors (mixed into their base class)."""

    def _as_keras_input(self, X) -> np.ndarray:
        """Return ``(n, length, channels)`` float32; pad and mask a df-list."""
        if isinstance(X, np.ndarray):
            X3 = X
        else:  # df-list (unequal length allowed for the recurrent networks)
            lengths = {len(x) for x in X}
            mask_value = getattr(self, "mask_value", None)
            if len(lengths) > 1 and mask_value is None:
                raise ValueError(
                    f"{type(self).__name__}: series of unequal length need "
                    "mask_value (padding value masked by the network), got None"
                )
            from tserbench.preprocessing import pad_panel

            X3 = pad_panel(X, value=-1.0 if mask_value is None else float(mask_value))
        return np.ascontiguousarray(np.transpose(X3, (0, 2, 1)), dtype=np.float32)

    def _has_padding(self, X3: np.ndarray) -> bool:
        """True if some time step has every channel equal to ``mask_value``."""
        mask_value = getattr(self, "mask_value", None)
        if mask_value is None or not self._variable_length:
            return False
        return bool(np.any(np.all(X3 == np.float32(mask_value), axis=2)))

    def _weighter(self, y: np.ndarray):
        """DG22's density weighter fitted on the training targets (None if weighting is off or impossible)."""
        if self.weight_cutoff is None or len(y) < 2 or np.ptp(y) == 0:
            return None
        from tserbench.exceptions import ConfigError
        from tserbench.preprocessing import DensityWeighter

        try:
            return DensityWeighter(cutoff=self.weight_cutoff).fit(y)
        except ConfigError as err:
            raise ConfigError(
                f"{type(self).__name__}(weight_cutoff={self.weight_cutoff!r}): {err} "
                "(the cutoff is a density of the targets, in 1/target units; "
                "weight_cutoff=None trains unweighted)"
            ) from err

    def _sample_weights(self, y: np.ndarray) -> np.ndarray:
        """DG22 density weights of the training targets (ones if disabled)."""
        weighter = self._weighter(y)
        if weighter is None:
            return np.ones(len(y), dtype=np.float32)
        return np.asarray(weighter.transform(y), dtype=np.float32)

    # ------------------------------------------------------------- scaling
    def _fit_scaling(self, X3: np.ndarray, y: np.ndarray) -> None:
        """Per-channel input and target mean and scale of the training set (``standardize``).

        Padded steps (every channel at ``mask_value``) are left out of the
        input statistics and stay at ``mask_value`` when scaled, so masking
        works on the scaled input.  A constant channel or target gets scale 1.
        """
        if not self.standardize:
            self.input_scale_ = self.target_scale_ = None
            return
        real = ~self._padding_mask(X3)
        steps = X3[real]  # (n_real_steps, channels)
        mean = steps.mean(axis=0) if len(steps) else np.zeros(X3.shape[2])
        std = steps.std(axis=0) if len(steps) else np.ones(X3.shape[2])
        self.input_scale_ = (mean.astype(np.float32), np.where(std > 0, std, 1.0).astype(np.float32))
        y_std = float(np.std(y))
        self.target_scale_ = (float(np.mean(y)), y_std if y_std > 0 else 1.0)

    def _padding_mask(self, X3: np.ndarray) -> np.ndarray:
        """``(n, length)`` True where a step is padding (every channel at ``mask_value``)."""
        mask_value = getattr(self, "mask_value", None)
        if mask_value is None or not getattr(self, "masked_", False):
            return np.zeros(X3.shape[:2], dtype=bool)
        return np.all(X3 == np.float32(mask_value), axis=2)

    def _scale_input(self, X3: np.ndarray) -> np.ndarray:
        scale = getattr(self, "input_scale_", None)
        if scale is None:
            return X3
        pad = self._padding_mask(X3)
        out = ((X3 - scale[0]) / scale[1]).astype(np.float32)
        if pad.any():
            out[pad] = np.float32(self.mask_value)
        return out

    def _scale_target(self, y: np.ndarray) -> np.ndarray:
        scale = getattr(self, "target_scale_", None)
        return y if scale is None else (y - scale[0]) / scale[1]

    def _validation_indices(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Random train/validation split of ``range(n)`` (validation may be empty)."""
        n_val = int(round(float(self.validation_split) * n))
        if n_val < 1 or n - n_val < 1:
            return np.arange(n), np.arange(0)
        perm = np.random.default_rng(self.random_state).permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
