"""Test configuration: float64 and strict rank promotion, for the tests only.

The library itself never changes global JAX configuration; its dtype follows the inputs.
"""

import os

import jax
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "quakejax",
        deadline=None,
        max_examples=int(os.environ.get("QUAKEJAX_HYPOTHESIS_EXAMPLES", "60")),
        suppress_health_check=[HealthCheck.too_slow],
        # The same examples on every run, so CI sees what passed here; set
        # QUAKEJAX_HYPOTHESIS_RANDOM=1 to explore new ones.
        derandomize=os.environ.get("QUAKEJAX_HYPOTHESIS_RANDOM", "0") != "1",
        database=None,
    )
    settings.load_profile("quakejax")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20240601)
