"""The web app: app factory, dependencies (current user), security policies per router, routers by
audience, the chat conversation service and the view models the templates read."""
