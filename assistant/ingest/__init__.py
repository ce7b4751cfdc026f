"""From files to an index: sources (md/txt/pdf) → sections → chunks → tags, and the build that
embeds and indexes them (``build``, which hands the chunks to ``search.index``)."""
