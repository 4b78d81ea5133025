"""Keras network graphs (no training logic) for the RRab [Fe/H] task.

Each class is a :class:`sktime.networks.base.BaseDeepNetwork` whose
``build_network(input_shape)`` returns ``(input_layer, output_layer)``
without the regression head; the regressors in :mod:`tserbench.regressors`
add ``Dense(1)``, compile and train.

FCN and InceptionTime are sktime's own networks (their defaults are M24's
architecture: FCN filters 128/256/128, kernels 8/5/3; InceptionTime depth 6,
residual every 3 modules, 32 filters, bottleneck 32, kernels 40/20/10 --
M24's ``inception.py`` uses ``kernel_size=41 - 1``); the others are ours,
each module says why.
"""

from sktime.networks.fcn import FCNNetwork
from sktime.networks.inceptiontime import InceptionTimeNetwork

from tserbench.networks._conv_recurrent import ConvGRUNetwork, ConvLSTMNetwork
from tserbench.networks._recurrent import (
    BiGRUNetwork,
    BiLSTMNetwork,
    DG22BiLSTMNetwork,
    GRUNetwork,
    LSTMNetwork,
)
from tserbench.networks._resnet import ResNetNetwork

__all__ = [
    "FCNNetwork",
    "ResNetNetwork",
    "InceptionTimeNetwork",
    "LSTMNetwork",
    "BiLSTMNetwork",
    "GRUNetwork",
    "BiGRUNetwork",
    "ConvLSTMNetwork",
    "ConvGRUNetwork",
    "DG22BiLSTMNetwork",
]
