"""The catalog's tables in Postgres (the ``postgres`` side of ``catalog.MIGRATIONS``).

The same tables and columns as in SQLite. ``chunks_fts`` is a plain table here: its ``tsv``
column is generated from the title, headings and text, weighted A, B and C, the way FTS5's
``bm25(chunks_fts, 0, 3, 2, 1)`` weighs a term in the title above one in the headings and one in
the body; the GIN index makes ``tsv @@ query`` an index scan. Rows follow their chunk through a
cascading foreign key, so the keyword index can never hold a chunk the catalog lost.
"""

CATALOG_V1 = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    path TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    audience TEXT NOT NULL,
    url TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready')),
    indexed_at TEXT NOT NULL
);
CREATE INDEX documents_source ON documents (source);
CREATE INDEX documents_path ON documents (path);
CREATE TABLE chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    headings TEXT NOT NULL,
    sentence_spans TEXT NOT NULL,
    sentence_vectors BYTEA NOT NULL
);
CREATE INDEX chunks_doc ON chunks (doc_id);
CREATE TABLE chunks_fts (
    chunk_id TEXT PRIMARY KEY REFERENCES chunks (chunk_id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    headings TEXT NOT NULL,
    text TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    audience TEXT NOT NULL,
    published INTEGER NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', headings), 'B')
        || setweight(to_tsvector('english', text), 'C')
    ) STORED
);
CREATE INDEX chunks_fts_tsv ON chunks_fts USING GIN (tsv);
"""
