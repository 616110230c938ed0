"""Bundled economies and stories."""
