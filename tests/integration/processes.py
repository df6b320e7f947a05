"""Real processes racing each other, released together by a barrier."""

import multiprocessing


def race(target, argument_sets: list[tuple], results_expected: int, timeout: float = 60) -> list:
    """Start one spawned process per argument set as target(*args, barrier, results); collect
    `results_expected` results from them and check that every process ended cleanly."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(argument_sets)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, results)) for args in argument_sets]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=timeout) for _ in range(results_expected)]
    for proc in procs:
        proc.join(timeout=timeout)
        assert proc.exitcode == 0
    return outcomes
