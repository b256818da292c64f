"""Tests of the customers context."""
