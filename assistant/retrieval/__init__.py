"""Retrieval: load -> chunk -> embed -> store (Chroma vectors + SQLite FTS5) -> hybrid search."""
