"""The province party as its own process: ``python -m features.matching.province_party --base LIST --port-file F``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from features.files import write_text_atomic
from features.matching.wire import serve_province


def _write_port(port_file: Path, port: int) -> None:
    write_text_atomic(port_file, str(port))  # the bank polls for the file: it must appear whole


def main(argv: list[str] | None = None) -> int:
    """Serve one bank on a loopback port written to --port-file; exit 0 when done, 2 on any error."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="The province's base list (Parquet or CSV).")
    parser.add_argument("--port-file", type=Path, required=True, help="Where to write the listening port.")
    parser.add_argument("--host", default="127.0.0.1", help="Loopback address to listen on.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        serve_province(args.base, host=args.host, on_listening=lambda port: _write_port(args.port_file, port))
    except (ValueError, OSError) as err:
        sys.stderr.write(f"province party: {err}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
