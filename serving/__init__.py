"""The surfaces: CLI, HTTP API, the loan officer's web page, approval files, audit store and batch scoring."""
