"""Finding passages: embeddings, the index on disk (FAISS + bm25s + chunk store), filters and retrieval."""
