"""Benchmarks for issue #6: what an update costs. See bench/README.md; each module is one benchmark."""
