"""Settings for the whole suite.

Hypothesis' per-example deadline and its "too slow" health check are timing assertions; the
machines the suite runs on are shared and noisy, and speed is checked by the scripts in
``benchmarks/``, so the suite's profile leaves both out.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "kuzbass", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("kuzbass")
