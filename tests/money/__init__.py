"""Tests of the money context."""
