"""Octo's benchmarks: measured figures, reproducible with one command each."""
