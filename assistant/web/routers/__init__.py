"""HTTP routes, grouped by audience: ``chat`` (HTML pages for trainers) and ``api`` (JSON).

Each module holds an ``APIRouter`` and stays thin: it parses the request, calls the chat service
(``assistant.web.conversation``) or the loaded index, and renders a template or a JSON object.
"""
