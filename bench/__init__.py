"""On-demand benchmarks (`make bench`); results go into the README performance table."""
