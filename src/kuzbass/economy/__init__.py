"""The technology of an economy as arrays; readers, writers, validation, generator."""

from kuzbass.economy.model import LABOUR, Economy

__all__ = ["LABOUR", "Economy"]
