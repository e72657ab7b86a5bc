"""The flags of `localpix --cluster`, added to the local CLI's parser. Imports nothing heavy:
the local CLI builds its parser from this module whether or not the cluster extra is installed."""

from __future__ import annotations

import argparse


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    from ..adapters.cli import positive_int  # here: the CLI imports this module while it loads

    group = parser.add_argument_group(
        "cluster", "run on a Dask cluster (needs the localpix[cluster] extra on this machine "
        "and every worker); inputs and OUTDIR may then also be fsspec URLs")
    group.add_argument("--cluster", metavar="ADDRESS",
                       help="the scheduler's address (tcp://host:8786), or local:N for a cluster "
                       "of N worker processes on this machine")
    group.add_argument("--manifest", metavar="FILE",
                       help="SQLite record of every input; a rerun skips what it lists as done "
                       "(default: OUTDIR/localpix-manifest.sqlite; required when OUTDIR is a "
                       "URL: the manifest lives on this machine)")
    group.add_argument("--batch-size", type=positive_int, metavar="N",
                       help="files per Dask task (default: about 4 tasks per worker thread, "
                       "of similar total bytes, at most 100 files each)")
