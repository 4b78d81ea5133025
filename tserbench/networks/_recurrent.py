"""Stacked (bidirectional) LSTM/GRU networks of M24 and DG22, minus the head.

Layer order, units, dropout and regularisers follow M24's public code
(github.com/LorenzoMonti/metallicity_rrls, ``models/deep_learning/lstm.py``,
``gru.py``, ``bilstm.py``, ``bigru.py``; commits c40fcda and e682447):

    [Masking(-1)] -> RNN(20) -> Dropout(0.2) -> RNN(16) -> Dropout(0.2)
                  -> RNN(8)  -> Dropout(0.1)          (head: Dense(1) linear)

with ``kernel_regularizer=L1L2(l1=0, l2=2e-6)`` and
``recurrent_regularizer=L1L2(l1=2e-6, l2=0)`` for LSTM/GRU, and L1 2e-6 on both
kernel and recurrent weights for the bidirectional variants.  M24 applies the
mask only to the padded ``raw`` input (``Masking(mask_value=-1)``); here it is
the ``mask_value`` parameter (None = no masking).

Why not sktime's ``RNNNetwork``/``LSTMFCNNetwork``: they build one
SimpleRNN/LSTM layer without regularisers, dropout schedule or masking.

The bidirectional nets: M24's code for them changed between commits (2 x 16
units at c40fcda; 20/16/16 at e682447, where the BiGRU's last layer returns
sequences and the BiLSTM's last layer is a GRU -- evident slips).  We build
them as the unidirectional LSTM/GRU with each layer wrapped in Bidirectional
(20/16/8, dropout 0.2/0.2/0.1), with the regularisers of M24's bidirectional
code (L1 on both).

DG22's best G-band model ``bilstm2p`` is read from its published graph
(github.com/idekany/rrl_feh_nn @3141888, ``results_g/best_model_g/model.json``):
input (None, 2) masked where all channels equal -1, BiLSTM(16, return
sequences) -> Dropout(0.1) -> BiLSTM(16) -> Dropout(0.1) -> Dense(1).  Its
``L1 5e-6`` is on the *recurrent* weights (``recurrent_regularizer``
l1=5e-6; ``kernel_regularizer`` l1=l2=0), matching the model's name
``['16' '16' 'l1' '5e-6' '5e-6' '0' '0' '0.1' '0.1']`` = (units1, units2,
type, recurrent reg 1, 2, kernel reg 1, 2, dropout 1, 2).
"""

from __future__ import annotations

from sktime.networks.base import BaseDeepNetwork

from tserbench.networks._utils import as_tuple, check_same_length, l1l2

__all__ = [
    "LSTMNetwork",
    "BiLSTMNetwork",
    "GRUNetwork",
    "BiGRUNetwork",
    "DG22BiLSTMNetwork",
    "build_recurrent_stack",
]


def build_recurrent_stack(
    x,
    *,
    cell: str,
    bidirectional: bool,
    units,
    dropout,
    kernel_l1: float,
    kernel_l2: float,
    recurrent_l1: float,
    recurrent_l2: float,
    activation: str = "tanh",
    return_sequences: bool = False,
):
    """Apply ``len(units)`` recurrent layers, each followed by Dropout, to ``x``.

    Every layer but the last returns sequences; the last returns its final
    state unless ``return_sequences``.  A Dropout layer follows every
    recurrent layer, as in M24's code (rate 0 keeps the layer out).
    """
    from tserbench._tf import import_keras

    keras = import_keras()
    units = as_tuple(units)
    dropout = as_tuple(dropout, len(units))
    check_same_length(units=units, dropout=dropout)
    rnn = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell]
    for i, (n_units, rate) in enumerate(zip(units, dropout)):
        last = i == len(units) - 1
        layer = rnn(
            int(n_units),
            activation=activation,
            return_sequences=return_sequences or not last,
            kernel_regularizer=l1l2(kernel_l1, kernel_l2),
            recurrent_regularizer=l1l2(recurrent_l1, recurrent_l2),
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer)
        x = layer(x)
        if rate:
            x = keras.layers.Dropout(rate=float(rate))(x)
    return x


class _RecurrentNetwork(BaseDeepNetwork):
    """Stack of recurrent layers with dropout, optional input masking.

    Subclasses fix the cell type (``_cell``) and direction (``_bidirectional``);
    the defaults here are M24's LSTM/GRU ones, and subclasses with other
    defaults (bidirectional, DG22) override ``__init__``.
    """

    _tags = {
        "authors": ["tserbench developers"],
        "python_dependencies": "tensorflow",
    }

    _cell = "gru"
    _bidirectional = False

    def __init__(
        self,
        units=(20, 16, 8),
        dropout=(0.2, 0.2, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 2e-6,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
        activation: str = "tanh",
        mask_value: float | None = None,
        random_state: int | None = None,
    ):
        self.units = units
        self.dropout = dropout
        self.kernel_l1 = kernel_l1
        self.kernel_l2 = kernel_l2
        self.recurrent_l1 = recurrent_l1
        self.recurrent_l2 = recurrent_l2
        self.activation = activation
        self.mask_value = mask_value
        self.random_state = random_state
        super().__init__()

    def __post_init__(self):
        """Validate the layer specification."""
        units = as_tuple(self.units)
        dropout = as_tuple(self.dropout, len(units))
        check_same_length(units=units, dropout=dropout)
        if not units or any(int(u) < 1 for u in units):
            raise ValueError(f"units must be positive integers, got {self.units!r}")
        if any(not 0 <= float(d) < 1 for d in dropout):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}")
        super().__post_init__()

    def build_network(self, input_shape, **kwargs):
        """Construct the network and return its input and output layers.

        Parameters
        ----------
        input_shape : tuple
            ``(series_length, n_channels)``; ``series_length`` may be None
            (variable-length input, padded with ``mask_value``).

        Returns
        -------
        input_layer : keras.KerasTensor
        output_layer : keras.KerasTensor
            The last Dropout (or recurrent) layer, shape ``(batch, features)``.
        """
        from tserbench._tf import import_keras

        keras = import_keras()
        input_layer = keras.layers.Input(shape=tuple(input_shape))
        x = input_layer
        if self.mask_value is not None:
            x = keras.layers.Masking(mask_value=float(self.mask_value))(x)
        x = build_recurrent_stack(
            x,
            cell=self._cell,
            bidirectional=self._bidirectional,
            units=self.units,
            dropout=self.dropout,
            kernel_l1=self.kernel_l1,
            kernel_l2=self.kernel_l2,
            recurrent_l1=self.recurrent_l1,
            recurrent_l2=self.recurrent_l2,
            activation=self.activation,
        )
        return input_layer, x

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Return small parameter sets for sktime's tests."""
        return [
            {"units": (4,), "dropout": (0.0,)},
            {"units": [4, 2], "dropout": 0.1, "mask_value": -1.0, "random_state": 0},
        ]


class LSTMNetwork(_RecurrentNetwork):
    """M24's LSTM: 3 x [LSTM -> Dropout], units 20/16/8, dropout 0.2/0.2/0.1.

    Parameters
    ----------
    units : sequence of int, default=(20, 16, 8)
        Units of each LSTM layer (one layer per entry).
    dropout : float or sequence of float, default=(0.2, 0.2, 0.1)
        Dropout rate after each layer.
    kernel_l1, kernel_l2 : float, default=0, 2e-6
        L1/L2 regularisation of the input kernels.
    recurrent_l1, recurrent_l2 : float, default=2e-6, 0
        L1/L2 regularisation of the recurrent kernels.
    activation : str, default="tanh"
        Cell activation.
    mask_value : float or None, default=None
        If not None, a ``Masking(mask_value)`` layer skips the padded steps
        (every channel equal to ``mask_value``); M24 and DG22 use -1.
    random_state : int or None, default=None
        Kept for sktime's network interface; seeding is done by the regressor.

    Examples
    --------
    >>> from tserbench.networks import LSTMNetwork
    >>> net = LSTMNetwork(mask_value=-1.0)
    >>> net.units
    (20, 16, 8)
    """

    _cell = "lstm"
    _bidirectional = False


class GRUNetwork(_RecurrentNetwork):
    """M24's GRU: 3 x [GRU -> Dropout], units 20/16/8, dropout 0.2/0.2/0.1.

    With 2 input channels the GRU layers hold 1440, 1824 and 624 parameters
    (M24 Table 2; Keras' ``reset_after=True`` GRU).  Parameters as
    :class:`LSTMNetwork`.

    Examples
    --------
    >>> from tserbench.networks import GRUNetwork
    >>> GRUNetwork().dropout
    (0.2, 0.2, 0.1)
    """

    _cell = "gru"
    _bidirectional = False


class _BidirectionalNetwork(_RecurrentNetwork):
    """Bidirectional stack with M24's bidirectional defaults (L1 2e-6 on both kernels)."""

    _bidirectional = True

    def __init__(
        self,
        units=(20, 16, 8),
        dropout=(0.2, 0.2, 0.1),
        kernel_l1: float = 2e-6,
        kernel_l2: float = 0.0,
        recurrent_l1: float = 2e-6,
        recurrent_l2: float = 0.0,
        activation: str = "tanh",
        mask_value: float | None = None,
        random_state: int | None = None,
    ):
        super().__init__(
            units=units,
            dropout=dropout,
            kernel_l1=kernel_l1,
            kernel_l2=kernel_l2,
            recurrent_l1=recurrent_l1,
            recurrent_l2=recurrent_l2,
            activation=activation,
            mask_value=mask_value,
            random_state=random_state,
        )


class BiLSTMNetwork(_BidirectionalNetwork):
    """M24's BiLSTM: 3 x [Bidirectional(LSTM) -> Dropout], 20/16/8 units.

    Kernel and recurrent weights both L1 2e-6 (M24 ``bilstm.py``).
    Parameters as :class:`LSTMNetwork`.

    Examples
    --------
    >>> from tserbench.networks import BiLSTMNetwork
    >>> BiLSTMNetwork().kernel_l1
    2e-06
    """

    _cell = "lstm"
    _bidirectional = True


class BiGRUNetwork(_BidirectionalNetwork):
    """M24's BiGRU: 3 x [Bidirectional(GRU) -> Dropout], 20/16/8 units.

    Kernel and recurrent weights both L1 2e-6 (M24 ``bigru.py``).
    Parameters as :class:`LSTMNetwork`.

    Examples
    --------
    >>> from tserbench.networks import BiGRUNetwork
    >>> BiGRUNetwork().units
    (20, 16, 8)
    """

    _cell = "gru"
    _bidirectional = True


class DG22BiLSTMNetwork(_RecurrentNetwork):
    """DG22's best G-band model ``bilstm2p``: 2 x [BiLSTM(16) -> Dropout(0.1)].

    Recurrent weights L1 5e-6, kernels unregularised, masking value -1, as in
    DG22's published ``model.json`` (see the module docstring).  Parameters
    as :class:`LSTMNetwork`.

    Examples
    --------
    >>> from tserbench.networks import DG22BiLSTMNetwork
    >>> DG22BiLSTMNetwork().recurrent_l1
    5e-06
    """

    _cell = "lstm"
    _bidirectional = True

    def __init__(
        self,
        units=(16, 16),
        dropout=(0.1, 0.1),
        kernel_l1: float = 0.0,
        kernel_l2: float = 0.0,
        recurrent_l1: float = 5e-6,
        recurrent_l2: float = 0.0,
        activation: str = "tanh",
        mask_value: float | None = -1.0,
        random_state: int | None = None,
    ):
        super().__init__(
            units=units,
            dropout=dropout,
            kernel_l1=kernel_l1,
            kernel_l2=kernel_l2,
            recurrent_l1=recurrent_l1,
            recurrent_l2=recurrent_l2,
            activation=activation,
            mask_value=mask_value,
            random_state=random_state,
        )
