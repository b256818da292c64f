"""Tests of the wallet context."""
