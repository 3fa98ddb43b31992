"""/api/events' publisher (ops/stream.py) on a live floor fed events (no board, no server):
each change is made once for every stream, floors at most every FLOOR_EVERY_S and a stream
that falls behind skip to the newest, pops go to their extension, and call records stored
while the wallboard is being made make exactly one more after it."""

import asyncio
import json
import threading

from callgate.firmware.link import messages
from callgate.link.client import Event
from callgate.ops.live import Floor
from callgate.ops.stream import Streams


def ringing(f, n, ext="201"):
    f.event("b", Event(n, messages.EV_AGENT, {"port": 5, "ext": ext, "name": "Alice", "state": "ringing", "call": n}), 7)


def decoded(frames):
    out = []
    for kind, b in frames:
        lines = b.decode().split("\n")
        out.append((kind, json.loads(lines[1][len("data: "):])))
    return out


async def in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def test_a_stream_behind_gets_the_newest_floor_and_pops_go_to_their_extension():
    async def main():
        f = Floor()
        made = []
        streams = Streams(f, lambda: {}, lambda pop: made.append(pop["ext"]) or {"pop": pop}, in_thread)
        alice = streams.open("201", supervisor=False, all_pops=False)
        bob = streams.open("202", supervisor=False, all_pops=False)
        sue = streams.open(None, supervisor=True, all_pops=True)
        for n in range(1, 6):  # five changes before anyone reads
            ringing(f, n)
            await asyncio.sleep(0.01)
        f.event("b", Event(6, messages.EV_POP, {"port": 5, "ext": "201", "call": 6, "number": "555"}), 7)
        await asyncio.sleep(0.5)  # past the floor's FLOOR_EVERY_S
        assert alice.frames.qsize() <= 3  # five changes in 50 ms: two floors at most, and the pop
        got = decoded(await alice.next_frames(1))
        floors = [d for k, d in got if k == "floor"]
        assert len(floors) == 1 and floors[0]["agents"][0]["call"] == 5  # the newest only
        assert [d["pop"]["number"] for k, d in got if k == "pop"] == ["555"]
        assert [k for k, _ in decoded(await bob.next_frames(1))] == ["floor"]  # not Alice's pop
        assert "pop" in [k for k, _ in decoded(await sue.next_frames(1))]
        assert made == ["201"]  # the customer's card looked up once for every stream
        assert await bob.next_frames(0.05) == []
        await streams.stop()

    asyncio.run(main())


def test_records_stored_while_the_wallboard_is_made_make_one_more_and_the_floor_goes_on():
    async def main():
        f = Floor()
        release = threading.Event()
        made = []

        def wallboard():
            made.append(len(made))
            release.wait(5)
            return {"n": made[-1]}

        streams = Streams(f, wallboard, lambda pop: {}, in_thread)
        sue = streams.open(None, supervisor=True, all_pops=True)
        agent = streams.open("201", supervisor=False, all_pops=False)
        f.calls_stored("b", [{"id": "a-1", "ended": 1}])
        await asyncio.sleep(0.1)
        for i in range(2, 5):  # stored while the first wallboard is being made
            f.calls_stored("b", [{"id": f"a-{i}", "ended": i}])
        ringing(f, 9)
        await asyncio.sleep(0.1)
        assert [k for k, _ in await sue.next_frames(1)] == ["floor"]  # not held up by the wallboard
        release.set()
        await asyncio.sleep(0.3)
        walls = [d for k, d in decoded(await sue.next_frames(1)) if k == "wallboard"]
        assert [w["n"] for w in walls] == [0, 1]
        assert walls[0]["floor"]["agents"][0]["call"] == 9  # the floor when sent, not when begun
        assert made == [0, 1]
        ids = [d["ids"] for k, d in decoded(await agent.next_frames(1)) if k == "calls"]
        assert sum(ids, []) == ["a-1", "a-2", "a-3", "a-4"]
        await streams.stop()

    asyncio.run(main())
