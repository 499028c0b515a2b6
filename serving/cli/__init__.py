"""The `kuozhong` command line, one module per surface; `serving.cli.main` assembles them."""
