"""reglab.nn: layers with hand-written backprop, Sequential networks, the training loop.

See ``docs/nn.md``. Typical use::

    net = build_network(n_in=2, hidden_layer_sizes=(16, 16), n_out=1, activation="tanh")
    trainer = Trainer(net, loss="binomial", optimizer="adam", learning_rate=1e-2, batch_size=32)
    trainer.fit(X, y, epochs=100)
    proba = 1 / (1 + np.exp(-net.predict_eta(X_grid)[:, 0]))
"""

from reglab.nn.callbacks import Callback, EarlyStopping, LambdaCallback, ProgressBar
from reglab.nn.gradcheck import check_gradients
from reglab.nn.heads import get_head
from reglab.nn.layers import Activation, Dense, Dropout, Layer
from reglab.nn.lbfgs import fit_lbfgs
from reglab.nn.network import Sequential, build_network, layer_from_spec
from reglab.nn.training import DivergenceError, Trainer

__all__ = [
    "Layer", "Dense", "Activation", "Dropout", "Sequential", "build_network", "layer_from_spec",
    "Trainer", "DivergenceError", "get_head", "Callback", "LambdaCallback", "EarlyStopping",
    "ProgressBar", "check_gradients", "fit_lbfgs",
]
