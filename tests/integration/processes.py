"""Real processes racing each other, released together by a barrier."""

import multiprocessing

# Imported once by the fork server, so that 32 agents start in a fork each instead of importing
# SQLAlchemy and the product again (two seconds of CPU per process on two cores). The server is
# started by the first race of a test process, with that race's module; later races' modules
# are imported in each child (the heavy ones are already there).
PRELOAD = ["sqlalchemy", "psycopg", "crm_tui.db", "crm_tui.models", "crm_tui.services.callback_claims"]


def race(target, argument_sets: list[tuple], results_expected: int, timeout: float = 60) -> list:
    """Start one process per argument set as target(*args, barrier, results); collect
    `results_expected` results from them and check that every process ended cleanly. The
    processes are forked from a fresh server process that holds no connection of the test's."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([*PRELOAD, target.__module__])
    barrier, results = ctx.Barrier(len(argument_sets)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, results)) for args in argument_sets]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=timeout) for _ in range(results_expected)]
    for proc in procs:
        proc.join(timeout=timeout)
        assert proc.exitcode == 0
    return outcomes
