"""kuzbass: working people plan their economy themselves."""

__version__ = "0.1.0"
