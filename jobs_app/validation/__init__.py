"""Deterministic checks of generated records (no LLM, no database): each module one concept.

The pipeline (jobs_app/pipeline.py) runs them per record and stores their reasons, flags and
scores; the database-backed parts (existing pairs, stored LSH buckets) stay in the pipeline.
"""
