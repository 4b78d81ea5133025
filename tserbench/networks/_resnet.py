"""ResNet for time series (Wang et al. 2017), minus the head, with configurable filters.

Why not ``sktime.networks.resnet.ResNetNetwork``: it hard-codes the
dl-4-tsc filter counts 64/128/128 (as does M24's ``resnet.py``), while M24's
paper (section 4.2) specifies 64 filters in every block.  This class builds
the same graph as sktime's / dl-4-tsc's with ``n_filters`` as a parameter:
default (64, 64, 64) as the paper says; ``n_filters=(64, 128, 128)``
reproduces M24's code and sktime exactly.

Each block: Conv1D(k1) -> BN -> ReLU -> Conv1D(k2) -> BN -> ReLU -> Conv1D(k3)
-> BN, plus a shortcut (Conv1D(1) -> BN when the channel count changes,
else BN), added, then ReLU.  Global average pooling at the end.
"""

from __future__ import annotations

from sktime.networks.base import BaseDeepNetwork

from tserbench.networks._utils import as_tuple

__all__ = ["ResNetNetwork"]


class ResNetNetwork(BaseDeepNetwork):
    """Three residual blocks of three Conv1D-BN-ReLU units, then GAP.

    Parameters
    ----------
    n_filters : sequence of int, default=(64, 64, 64)
        Filters of each residual block (one block per entry).
    kernel_sizes : sequence of int, default=(8, 5, 3)
        Kernel lengths of the three convolutions inside every block.
    activation : str, default="relu"
        Activation of the hidden layers.
    random_state : int or None, default=None
        Kept for sktime's network interface; seeding is done by the regressor.

    Examples
    --------
    >>> from tserbench.networks import ResNetNetwork
    >>> ResNetNetwork().n_filters
    (64, 64, 64)
    """

    _tags = {
        "authors": ["tserbench developers"],
        "python_dependencies": "tensorflow",
    }

    def __init__(
        self,
        n_filters=(64, 64, 64),
        kernel_sizes=(8, 5, 3),
        activation: str = "relu",
        random_state: int | None = None,
    ):
        self.n_filters = n_filters
        self.kernel_sizes = kernel_sizes
        self.activation = activation
        self.random_state = random_state
        super().__init__()

    def __post_init__(self):
        """Validate the specification."""
        if not as_tuple(self.n_filters) or not as_tuple(self.kernel_sizes):
            raise ValueError("n_filters and kernel_sizes must not be empty")
        super().__post_init__()

    def build_network(self, input_shape, **kwargs):
        """Construct the network and return its input and output layers.

        Parameters
        ----------
        input_shape : tuple
            ``(series_length, n_channels)``.

        Returns
        -------
        input_layer, output_layer : keras.KerasTensor
            The output is the global average pool, shape ``(batch, n_filters[-1])``.
        """
        from tserbench._tf import import_keras

        keras = import_keras()
        layers = keras.layers
        input_layer = layers.Input(shape=tuple(input_shape))
        x = input_layer
        kernels = as_tuple(self.kernel_sizes)
        for filters in as_tuple(self.n_filters):
            block_input = x
            for j, kernel in enumerate(kernels):
                x = layers.Conv1D(filters=int(filters), kernel_size=int(kernel), padding="same")(x)
                x = layers.BatchNormalization()(x)
                if j < len(kernels) - 1:
                    x = layers.Activation(self.activation)(x)
            if int(block_input.shape[-1]) != int(filters):
                shortcut = layers.Conv1D(filters=int(filters), kernel_size=1, padding="same")(
                    block_input
                )
            else:
                shortcut = block_input
            shortcut = layers.BatchNormalization()(shortcut)
            x = layers.add([shortcut, x])
            x = layers.Activation(self.activation)(x)
        output_layer = layers.GlobalAveragePooling1D()(x)
        return input_layer, output_layer

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return small parameter sets for sktime's tests."""
        return [
            {"n_filters": (4,), "kernel_sizes": (3,)},
            {"n_filters": [4, 8], "kernel_sizes": [3, 2, 1], "random_state": 0},
        ]
