"""A hop to another thread's loop: the outcome comes back, a cancelled caller leaves the
task to finish, a waiting task is held; the async client of a closed module says so."""

import asyncio
import concurrent.futures
import gc
import weakref
from collections.abc import Iterator

import pytest
from nt_sample_app import AppModule

from nest_testing import Test, UsageError
from nest_testing._loop_hop import LoopHop
from nest_testing._loop_thread import LoopThread


@pytest.fixture
def thread() -> Iterator[LoopThread]:
    loop_thread = LoopThread()
    loop_thread.start()
    yield loop_thread
    loop_thread.stop()


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _hop(thread: LoopThread) -> LoopHop:
    return LoopHop(thread.run(_running_loop))


class Failed(Exception):
    pass


@pytest.mark.asyncio
async def test_the_result_or_the_exception_comes_back_from_the_other_loop(
    thread: LoopThread,
) -> None:
    hop = _hop(thread)

    async def where(tag: str) -> tuple[str, asyncio.AbstractEventLoop]:
        return tag, asyncio.get_running_loop()

    async def fail() -> None:
        raise Failed("on the other loop")

    tag, loop = await hop.run(where, "x")
    assert tag == "x"
    assert loop is thread.run(_running_loop)
    assert loop is not asyncio.get_running_loop()
    with pytest.raises(Failed, match="on the other loop"):
        await hop.run(fail)


@pytest.mark.asyncio
async def test_a_cancelled_caller_leaves_the_task_to_finish(thread: LoopThread) -> None:
    hop = _hop(thread)
    started: concurrent.futures.Future[asyncio.Future[None]] = concurrent.futures.Future()
    finished: concurrent.futures.Future[str] = concurrent.futures.Future()

    async def serve() -> str:
        release = asyncio.get_running_loop().create_future()
        started.set_result(release)
        await release
        finished.set_result("served")
        return "served"

    caller = asyncio.ensure_future(hop.run(serve))
    release = await asyncio.wrap_future(started)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert not finished.done()
    loop = thread.run(_running_loop)
    loop.call_soon_threadsafe(release.set_result, None)
    assert await asyncio.wrap_future(finished) == "served"  # not torn down from here
    assert await hop.run(_running_loop) is loop  # and the next call is served


@pytest.mark.asyncio
async def test_a_task_waiting_on_what_only_it_holds_is_not_collected(
    thread: LoopThread,
) -> None:
    hop = _hop(thread)
    pending: concurrent.futures.Future[weakref.ref[asyncio.Future[str]]] = (
        concurrent.futures.Future()
    )

    async def wait() -> str:
        poke: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        pending.set_result(weakref.ref(poke))
        return await poke  # nothing but this task refers to `poke`

    caller = asyncio.ensure_future(hop.run(wait))
    ref = await asyncio.wrap_future(pending)

    async def collect_then_poke() -> bool:
        gc.collect()
        poke = ref()
        if poke is None:
            return False
        poke.set_result("poked")
        return True

    assert thread.run(collect_then_poke), "the waiting task was collected"
    assert await caller == "poked"


@pytest.mark.asyncio
async def test_the_async_client_of_a_closed_module_says_it_is_closed() -> None:
    module = Test.create_testing_module(imports=[AppModule]).compile()
    try:
        async with module.async_client() as client:
            assert (await client.get("/items")).status_code == 200
            await module.aclose()
            with pytest.raises(UsageError, match="testing module is closed"):
                await client.get("/items")
    finally:
        await module.aclose()


@pytest.mark.asyncio
async def test_a_task_the_other_loop_cancels_cancels_its_caller_and_is_let_go(
    thread: LoopThread,
) -> None:
    # The module's loop stopping under a request: the caller is cancelled, not left
    # waiting; and the hop holds no task once each has ended.
    hop = _hop(thread)
    started: concurrent.futures.Future[asyncio.Task[None]] = concurrent.futures.Future()

    async def forever() -> None:
        started.set_result(asyncio.current_task())  # type: ignore[arg-type]
        await asyncio.Event().wait()

    caller = asyncio.ensure_future(hop.run(forever))
    task = await asyncio.wrap_future(started)
    thread.run(_running_loop).call_soon_threadsafe(task.cancel)
    done, _ = await asyncio.wait({caller}, timeout=30)  # bounded: a stuck caller fails
    assert caller in done
    assert caller.cancelled()
    assert await hop.run(_running_loop) is thread.run(_running_loop)
    await asyncio.wrap_future(thread.portal.start_task_soon(asyncio.sleep, 0))  # type: ignore[union-attr]
    assert hop._running == {}
