"""Two boards answering with the same board id on one `callgate serve`: the first port to
answer keeps the id for the life of the service; the other is refused (said once in the log,
an alarm on the wallboard) and nothing of it reaches the store, even while the first board
is off. Two boards with ids of their own are both followed into the one store."""

import json
import pathlib
import time

import pytest

from callgate.ops import auth
from callgate.ops.store import Store
from callgate.sim.board import VirtualBoard
from opskit import Service, Web, wait_for

pytestmark = pytest.mark.slow


def board(board_id=None):
    """A started virtual-8 (no site: the id is all that matters here), with its own id if given."""
    vb = VirtualBoard("virtual-8")
    if board_id:
        folder = pathlib.Path(vb._tmp) / "board-def"
        folder.mkdir()
        vb.board_def = dict(vb.board_def, id=board_id)
        (folder / "board.json").write_text(json.dumps(vb.board_def))
        vb.board_path = folder  # the flash gets this board.json
    return vb.start()


def supervisor(db):
    s = Store.open(db)
    s.put_user("sue", "supervisor", None, auth.hash_password("sup-pass"))
    s.close()


def store_boards(db):
    s = Store.open(db)
    try:
        return [(r["board"], r["port"]) for r in s.query("SELECT board, port FROM boards")], \
            {tuple(r) for r in s.query("SELECT DISTINCT board, boot FROM events")}
    finally:
        s.close()


def test_a_second_board_with_the_same_id_is_refused_for_as_long_as_the_service_runs(tmp_path):
    db = f"sqlite:///{tmp_path}/ops.db"
    supervisor(db)
    a, b = board(), board()
    try:
        with Service(db, a.data_port, b.data_port) as svc:
            refused = wait_for(lambda: [line for line in svc.log if "boards need distinct ids" in line], 30,
                               what="the refusal in the log")
            holder = a.data_port if refused[0].startswith(f"callgate serve: {b.data_port}:") else b.data_port
            other = b.data_port if holder == a.data_port else a.data_port
            assert refused[0] == (f"callgate serve: {other}: the board here answers as 'virtual-8', like the one on "
                                  f"{holder}: boards need distinct ids (not followed; asked again every 10 s)")
            web = Web(svc.url)
            assert web.login("sue", "sup-pass")
            alarms = web.json("GET", "/api/wallboard")[1]["alarms"]
            assert any(other in al and holder in al and "distinct ids" in al for al in alarms), alarms
            wait_for(lambda: store_boards(db)[0] == [("virtual-8", holder)], 10, what="the holder's row")
            # the holder goes away (powered off: its port stays, as a USB adapter's would, and no
            # other board gets its pty while the service may still open it): the other is still
            # refused (its events would be mixed in)
            with (a if holder == a.data_port else b).powered_off():
                time.sleep(12)  # past the ingest's 10 s retry of the refused port, and a retry
                assert len([line for line in svc.log if "boards need distinct ids" in line]) == 1  # said once
        rows, events = store_boards(db)
        assert rows == [("virtual-8", holder)]
        assert len({boot for _, boot in events}) <= 1  # one board's boot only
    finally:
        a.close()
        b.close()


def test_two_boards_with_ids_of_their_own_are_both_followed(tmp_path):
    db = f"sqlite:///{tmp_path}/ops.db"
    a, b = board("center-a"), board("center-b")
    try:
        with Service(db, a.data_port, b.data_port) as svc:
            wait_for(lambda: sorted(store_boards(db)[0]) == [("center-a", a.data_port), ("center-b", b.data_port)],
                     30, what="both boards in the store")
            assert not [line for line in svc.log if "distinct ids" in line]
    finally:
        a.close()
        b.close()
