"""Network graphs against the architectures of M24 (Monti et al. 2024, Sensors 24, 5203) and DG22.

Builds each network with its defaults for a 2-channel, 50-step input and
checks layer types, units, filters, kernels, dropout rates and regularisers;
the GRU parameter counts must equal M24 Table 2 exactly.
"""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

from tserbench._tf import import_keras  # noqa: E402
from tserbench.networks import (  # noqa: E402
    BiGRUNetwork,
    BiLSTMNetwork,
    ConvGRUNetwork,
    ConvLSTMNetwork,
    DG22BiLSTMNetwork,
    FCNNetwork,
    GRUNetwork,
    InceptionTimeNetwork,
    LSTMNetwork,
    ResNetNetwork,
)

keras = import_keras()


def _model(network, input_shape=(50, 2)):
    """Network + the regressors' Dense(1) head."""
    inp, out = network.build_network(input_shape)
    out = keras.layers.Dense(1, activation="linear")(out)
    return keras.Model(inp, out)


def _layers(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def _reg(regularizer):
    """(l1, l2) of a regulariser, (0, 0) for None."""
    if regularizer is None:
        return (0.0, 0.0)
    cfg = regularizer.get_config()
    return (pytest.approx(cfg.get("l1", 0.0)), pytest.approx(cfg.get("l2", 0.0)))


def _rnn_cells(model):
    """The recurrent layers in order (unwrapping Bidirectional: forward layer)."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            out.append(layer.forward_layer)
        elif isinstance(layer, keras.layers.RNN):
            out.append(layer)
    return out


def test_gru_parameter_counts_equal_m24_table2():
    model = _model(GRUNetwork())
    grus = _layers(model, keras.layers.GRU)
    assert [g.count_params() for g in grus] == [1440, 1824, 624]
    (head,) = _layers(model, keras.layers.Dense)
    assert head.count_params() == 9
    assert model.count_params() == 1440 + 1824 + 624 + 9


@pytest.mark.parametrize(
    ("network", "cell", "bidirectional", "kernel", "recurrent"),
    [
        (LSTMNetwork(), keras.layers.LSTM, False, (0.0, 2e-6), (2e-6, 0.0)),
        (GRUNetwork(), keras.layers.GRU, False, (0.0, 2e-6), (2e-6, 0.0)),
        (BiLSTMNetwork(), keras.layers.LSTM, True, (2e-6, 0.0), (2e-6, 0.0)),
        (BiGRUNetwork(), keras.layers.GRU, True, (2e-6, 0.0), (2e-6, 0.0)),
    ],
    ids=["lstm", "gru", "bilstm", "bigru"],
)
def test_m24_recurrent_stacks(network, cell, bidirectional, kernel, recurrent):
    model = _model(network)
    names = [type(layer).__name__ for layer in model.layers]
    rnn = "Bidirectional" if bidirectional else cell.__name__
    assert names == ["InputLayer", rnn, "Dropout", rnn, "Dropout", rnn, "Dropout", "Dense"]
    cells = _rnn_cells(model)
    assert all(isinstance(c, cell) for c in cells)
    assert [c.units for c in cells] == [20, 16, 8]
    assert [c.return_sequences for c in cells] == [True, True, False]
    assert [d.rate for d in _layers(model, keras.layers.Dropout)] == pytest.approx([0.2, 0.2, 0.1])
    for c in cells:
        assert _reg(c.kernel_regularizer) == kernel
        assert _reg(c.recurrent_regularizer) == recurrent
    assert model.layers[-1].units == 1
    assert model.layers[-1].get_config()["activation"] == "linear"


def test_bidirectional_doubles_the_features():
    model = _model(BiGRUNetwork())
    assert model.layers[-2].output.shape[-1] == 16  # 2 x 8 units into the head


def test_dg22_bilstm2p_matches_published_graph():
    """DG22's model.json: masked input, 2 x BiLSTM(16), recurrent L1 5e-6, dropout 0.1."""
    model = _model(DG22BiLSTMNetwork(), input_shape=(None, 2))
    names = [type(layer).__name__ for layer in model.layers]
    assert names == [
        "InputLayer",
        "Masking",
        "Bidirectional",
        "Dropout",
        "Bidirectional",
        "Dropout",
        "Dense",
    ]
    assert model.layers[1].mask_value == -1.0
    cells = _rnn_cells(model)
    assert [c.units for c in cells] == [16, 16]
    assert all(isinstance(c, keras.layers.LSTM) for c in cells)
    for c in cells:
        assert _reg(c.kernel_regularizer) == (0.0, 0.0)
        assert _reg(c.recurrent_regularizer) == (5e-6, 0.0)
    assert [d.rate for d in _layers(model, keras.layers.Dropout)] == pytest.approx([0.1, 0.1])
    # 8737 parameters, the count of DG22's published bilstm2p
    assert model.count_params() == 8737


def test_masking_is_optional_and_masks_padded_steps():
    import numpy as np

    assert not _layers(_model(GRUNetwork(), (None, 2)), keras.layers.Masking)
    model = _model(GRUNetwork(units=(4,), dropout=0.0, mask_value=-1.0), (None, 2))
    assert _layers(model, keras.layers.Masking)[0].mask_value == -1.0
    x = np.random.default_rng(0).normal(size=(1, 7, 2)).astype("float32")
    padded = np.concatenate([x, -np.ones((1, 5, 2), "float32")], axis=1)
    np.testing.assert_allclose(model(x), model(padded), rtol=1e-6)


@pytest.mark.parametrize(
    ("network", "cell"),
    [(ConvLSTMNetwork(), keras.layers.LSTM), (ConvGRUNetwork(), keras.layers.GRU)],
    ids=["convlstm", "convgru"],
)
def test_m24_conv_recurrent(network, cell):
    model = _model(network)
    names = [type(layer).__name__ for layer in model.layers]
    assert names == (
        ["InputLayer"]
        + ["Conv1D", "BatchNormalization", "Activation"] * 3
        + ["MaxPooling1D", cell.__name__, "Dropout", cell.__name__, "Dropout", "Dense"]
    )
    convs = _layers(model, keras.layers.Conv1D)
    assert [c.filters for c in convs] == [128, 256, 128]
    assert [c.kernel_size for c in convs] == [(8,), (5,), (3,)]
    assert all(c.padding == "same" and c.strides == (1,) for c in convs)
    assert all(a.get_config()["activation"] == "relu" for a in _layers(model, keras.layers.Activation))
    assert _layers(model, keras.layers.MaxPooling1D)[0].pool_size == (2,)
    cells = _layers(model, cell)
    assert [c.units for c in cells] == [8, 4]
    assert [d.rate for d in _layers(model, keras.layers.Dropout)] == pytest.approx([0.2, 0.1])
    for c in cells:
        assert _reg(c.kernel_regularizer) == (0.0, 2e-6)
        assert _reg(c.recurrent_regularizer) == (2e-6, 0.0)


def test_fcn_is_m24():
    model = _model(FCNNetwork())
    convs = _layers(model, keras.layers.Conv1D)
    assert [c.filters for c in convs] == [128, 256, 128]
    assert [c.kernel_size for c in convs] == [(8,), (5,), (3,)]
    assert all(c.strides == (1,) and c.padding == "same" for c in convs)
    assert len(_layers(model, keras.layers.BatchNormalization)) == 3
    assert [type(layer).__name__ for layer in model.layers[-2:]] == ["GlobalAveragePooling1D", "Dense"]


def test_resnet_three_blocks_of_64():
    model = _model(ResNetNetwork())
    convs = _layers(model, keras.layers.Conv1D)
    main = [c for c in convs if c.kernel_size != (1,)]
    shortcut = [c for c in convs if c.kernel_size == (1,)]
    assert [c.kernel_size[0] for c in main] == [8, 5, 3] * 3
    assert {c.filters for c in main} == {64}
    assert len(shortcut) == 1  # only the first block changes the channel count
    assert len(_layers(model, keras.layers.Add)) == 3
    assert isinstance(model.layers[-2], keras.layers.GlobalAveragePooling1D)


def test_resnet_dl4tsc_filters_match_sktime_parameter_count():
    """n_filters=(64, 128, 128) is M24's code / sktime's ResNetNetwork exactly."""
    from sktime.networks.resnet import ResNetNetwork as SktimeResNet

    ours = _model(ResNetNetwork(n_filters=(64, 128, 128))).count_params()
    assert ours == _model(SktimeResNet()).count_params()


def test_inceptiontime_is_m24():
    model = _model(InceptionTimeNetwork())
    convs = _layers(model, keras.layers.Conv1D)
    kernels = sorted({c.kernel_size[0] for c in convs})
    assert kernels == [1, 10, 20, 40]
    assert len(_layers(model, keras.layers.Concatenate)) == 6  # 6 inception modules
    assert len(_layers(model, keras.layers.Add)) == 2  # 2 residual blocks
    assert len(_layers(model, keras.layers.MaxPooling1D)) == 6
    assert model.layers[-2].output.shape[-1] == 4 * 32


@pytest.mark.parametrize(
    "kwargs",
    [{"units": (4, 2), "dropout": (0.1,)}, {"units": (0,), "dropout": (0.1,)}, {"dropout": 1.5}],
)
def test_bad_recurrent_spec_raises(kwargs):
    with pytest.raises(ValueError):
        GRUNetwork(**kwargs)
