"""The decision HTTP API (FastAPI): `serving.api.app.create_app` builds it."""
