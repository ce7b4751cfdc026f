"""The shared vocabulary: countries and regions, SCORE modules and topics, headings, sentences,
tokens and question intents. Ingest tags with it; search and qa read questions with it. Imports only
``models`` and ``config``."""
