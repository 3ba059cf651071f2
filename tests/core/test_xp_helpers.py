"""Small helpers of ``reglab.core._xp``."""

import numpy as np

from reglab.core._xp import plain


def test_plain_turns_numpy_scalars_into_python_values_for_messages():
    assert repr(plain(np.str_("c"))) == "'c'" and repr(plain(np.float64("nan"))) == "nan"
    assert plain(np.int64(3)) == 3 and type(plain(np.int64(3))) is int
    assert plain("c") == "c" and plain(None) is None
