"""Curated answers as an app service over the database and the live index: quotes checked verbatim
against the index (``grounding``), a published answer turned into the ``Answer`` a trainer sees
(``answers``), the lifecycle with grounding (``service``), staleness after a new index build
(``staleness``) and the export of published answers as a test set (``testset``)."""
