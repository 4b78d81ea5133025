"""ConvLSTM / ConvGRU networks of M24, minus the head.

From M24's code (github.com/LorenzoMonti/metallicity_rrls,
``models/deep_learning/convlstm.py`` and ``convgru.py``, commit c40fcda):

    Conv1D(128, 8) -> BN -> ReLU -> Conv1D(256, 5) -> BN -> ReLU
    -> Conv1D(128, 3) -> BN -> ReLU -> MaxPooling1D(2)
    -> RNN(8) -> Dropout(0.2) -> RNN(4) -> Dropout(0.1)   (head: Dense(1))

convolutions with ``padding="same"`` and no regularisers; recurrent layers
with ``kernel_regularizer=L1L2(0, 2e-6)`` and
``recurrent_regularizer=L1L2(2e-6, 0)``.  The unit counts (8, 4) are taken
from that code.

Conv1D layers do not propagate Keras masks, so these networks take
equal-length input only.
"""

from __future__ import annotations

from sktime.networks.base import BaseDeepNetwork

from tserbench.networks._recurrent import build_recurrent_stack
from tserbench.networks._utils import as_tuple, check_same_length

__all__ = ["ConvLSTMNetwork", "ConvGRUNetwork", "build_conv_block"]


def build_conv_block(x, *, filter_sizes, kernel_sizes, activation="relu"):
    """FCN-style block: ``[Conv1D(same) -> BatchNorm -> activation]`` per filter size."""
    from tserbench._tf import import_keras

    keras = import_keras()
    for filters, kernel in zip(filter_sizes, kernel_sizes):
        x = keras.layers.Conv1D(filters=int(filters), kernel_size=int(kernel), padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation(activation)(x)
    return x


class _ConvRecurrentNetwork(BaseDeepNetwork):
    """Convolutional block, max pooling, then a recurrent stack.

    The defaults are M24's, shared by ConvLSTM and ConvGRU; subclasses only
    fix the cell type (``_cell``).
    """

    _tags = {
        "authors": ["tserbench developers"],
        "python_dependencies": "tensorflow",
    }

    _cell = "lstm"

    def __init__(
        self,
        filter_sizes=(128, 256, 128),
        kernel_sizes=(8, 5, 3),
        pool_size: int = 2,
        units=(8, 4),
        dropout=(0.2, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 2e-6,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
        activation: str = "relu",
        random_state: int | None = None,
    ):
        self.filter_sizes = filter_sizes
        self.kernel_sizes = kernel_sizes
        self.pool_size = pool_size
        self.units = units
        self.dropout = dropout
        self.kernel_l1 = kernel_l1
        self.kernel_l2 = kernel_l2
        self.recurrent_l1 = recurrent_l1
        self.recurrent_l2 = recurrent_l2
        self.activation = activation
        self.random_state = random_state
        super().__init__()

    def __post_init__(self):
        """Validate the layer specification."""
        check_same_length(
            filter_sizes=as_tuple(self.filter_sizes), kernel_sizes=as_tuple(self.kernel_sizes)
        )
        units = as_tuple(self.units)
        check_same_length(units=units, dropout=as_tuple(self.dropout, len(units)))
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
        """
        from tserbench._tf import import_keras

        keras = import_keras()
        input_layer = keras.layers.Input(shape=tuple(input_shape))
        x = build_conv_block(
            input_layer,
            filter_sizes=as_tuple(self.filter_sizes),
            kernel_sizes=as_tuple(self.kernel_sizes),
            activation=self.activation,
        )
        if self.pool_size and int(self.pool_size) > 1:
            # padding="same" keeps series of odd length (or shorter than the
            # pool) usable; for the even lengths of the paper it equals "valid".
            x = keras.layers.MaxPooling1D(pool_size=int(self.pool_size), padding="same")(x)
        x = build_recurrent_stack(
            x,
            cell=self._cell,
            bidirectional=False,
            units=self.units,
            dropout=self.dropout,
            kernel_l1=self.kernel_l1,
            kernel_l2=self.kernel_l2,
            recurrent_l1=self.recurrent_l1,
            recurrent_l2=self.recurrent_l2,
        )
        return input_layer, x

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return small parameter sets for sktime's tests."""
        return [
            {"filter_sizes": (4,), "kernel_sizes": (3,), "units": (2,), "dropout": (0.0,)},
            {"filter_sizes": [4, 4], "kernel_sizes": [3, 2], "units": [3, 2], "random_state": 0},
        ]


class ConvLSTMNetwork(_ConvRecurrentNetwork):
    """M24's ConvLSTM: FCN conv block -> MaxPool1D -> LSTM(8) -> LSTM(4).

    Parameters
    ----------
    filter_sizes : sequence of int, default=(128, 256, 128)
        Filters of each Conv1D layer.
    kernel_sizes : sequence of int, default=(8, 5, 3)
        Kernel length of each Conv1D layer.
    pool_size : int, default=2
        MaxPooling1D pool size (0 or 1 = no pooling).
    units : sequence of int, default=(8, 4)
        Units of each recurrent layer.
    dropout : float or sequence of float, default=(0.2, 0.1)
        Dropout after each recurrent layer.
    kernel_l1, kernel_l2 : float, default=0, 2e-6
        Regularisation of the recurrent layers' input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0
        Regularisation of the recurrent kernels.
    activation : str, default="relu"
        Activation of the convolutional block.
    random_state : int or None, default=None
        Kept for sktime's network interface; seeding is done by the regressor.

    Examples
    --------
    >>> from tserbench.networks import ConvLSTMNetwork
    >>> ConvLSTMNetwork().units
    (8, 4)
    """

    _cell = "lstm"


class ConvGRUNetwork(_ConvRecurrentNetwork):
    """M24's ConvGRU: FCN conv block -> MaxPool1D -> GRU(8) -> GRU(4).

    Parameters as :class:`ConvLSTMNetwork`.

    Examples
    --------
    >>> from tserbench.networks import ConvGRUNetwork
    >>> ConvGRUNetwork().filter_sizes
    (128, 256, 128)
    """

    _cell = "gru"
