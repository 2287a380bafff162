"""The debugging dashboard page: one HTML shell, the rest is the REST API and WebSockets."""
