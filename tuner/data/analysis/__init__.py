"""The end-to-end check of a training file (`analyse.analyse_file`), run over byte ranges.

`analyse` is the entry, `report` what comes out, `range_check` what each worker process runs
on one byte range, `pool` how the ranges are run and cancelled, `totals` how their results are
folded into the report. Nothing is imported here: a spawned worker imports this package before
`range_check`, and must not pay for the rest.
"""
