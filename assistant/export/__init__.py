"""Handouts a facilitator takes out of the app: DOCX, PPTX and Markdown with their credit lines.

Pure (never the database, the web or the CLI): ``handouts`` makes a ``Handout`` from passages,
stories and chat answers; ``attribution`` decides whether a document may be exported and writes its
credit line and sources; ``view`` numbers the sources once for every format; ``docx``, ``pptx`` and
``markdown`` each render that one view; ``render`` picks the format and names the file.
"""
