"""`localpix --cluster`: the same engine over a Dask cluster, for archives of millions of files.

    arguments  the command-line flags (no Dask import: the local CLI builds its parser from them)
    driver     on the user's machine: plan, partition, submit, record, summarise
    work       on the workers: one batch of files through the engine, outputs committed
    storage    local paths and fsspec URLs; the commit rule that makes a retried batch harmless
    manifest   the SQLite record of every input, which makes a run resumable and auditable
    summary    the privacy sentences over the whole run
"""
