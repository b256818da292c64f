"""Tests of the activity context."""
