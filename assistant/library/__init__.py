"""The story library: success stories derived from the loaded index (``stories``), browsed and
searched (``browse``), and shaped for the API and the CLI (``presenters``). Pure: no database, web or CLI."""
