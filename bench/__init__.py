"""Benchmarks at scale against PostgreSQL, each figure beside PostgreSQL's own limit."""
