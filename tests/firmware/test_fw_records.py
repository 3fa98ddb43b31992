# Record lines (records.py), call records (cdr.py) and recordings (recorder.py) on a
# filesystem. Shared: CPython (pytest) and MicroPython (mp_runner.py); they work in a folder of
# the current directory, removed afterwards. The power cut itself is tests/firmware/
# test_fw_powercut.py.

import os
import struct
from binascii import b2a_base64

import fw

files = fw.module("files")
records = fw.module("records")
CdrLog = fw.module("cdr").CdrLog
day = fw.module("cdr").day
HEADER_LEN = fw.module("recorder").HEADER_LEN
INDEX = fw.module("recorder").INDEX
Recorder = fw.module("recorder").Recorder
header = fw.module("recorder").header

RUNS_ON_MICROPYTHON = True

D = "_cg_records_test"


def test_a_line_round_trips_and_a_damaged_one_is_refused():
    r = {"id": "0000abcd-7", "survey": {"satisfaction": 4}, "name": "Zoë", "ivr": [["main", "1"]]}
    raw = records.line(r)
    assert raw.endswith(b"\n") and raw[8:9] == b"\t"
    assert records.parse(raw) == r
    assert records.parse(raw[:-5]) is None  # torn
    flipped = bytearray(raw)
    flipped[20] ^= 1
    assert records.parse(bytes(flipped)) is None
    assert records.parse(b"") is None and records.parse(b"zzzzzzzz\t{}") is None


def test_appended_records_read_back_and_a_torn_tail_is_counted():
    files.remove(D)
    try:
        p = D + "/cdr/x.log"
        for i in range(5):
            records.append(p, {"n": i})
        with open(p, "ab") as f:
            f.write(records.line({"n": 5})[:12])  # a write cut short
        got, bad = records.read(p)
        assert [r["n"] for r in got] == [0, 1, 2, 3, 4] and bad == 1
    finally:
        files.remove(D)


def test_cdr_files_are_per_day_of_the_end():
    assert day(1795420800000) == "20261123"
    log = CdrLog(D + "/cdr")
    files.remove(D)
    try:
        assert log.write({"id": "a", "ended": 1795420800000}) == D + "/cdr/20261123.log"
        log.write({"id": "b", "ended": 1795420800000 + 86400000})
        assert sorted(os.listdir(D + "/cdr")) == ["20261123.log", "20261124.log"]
        assert log.written == 2
    finally:
        files.remove(D)


def test_a_recording_becomes_a_wav_and_an_index_line():
    files.remove(D)
    cwd = os.getcwd()
    os.mkdir(D)
    os.chdir(D)
    try:
        rec = Recorder("alaw")
        rec.begin({"id": "r1", "file": "rec/r1.wav", "kind": "call", "call": "c1", "agent": "201"}, 5000)
        with open("rec/r1.wav", "rb") as f:
            assert f.read() == header("alaw", None)
        chunks = [bytes([i]) * 8000 for i in range(3)]
        for i, c in enumerate(chunks):  # base64 over a socket, bytes from the MCU's HAL
            chunk = {"data": b2a_base64(c).decode()} if i % 2 else {"pcm": c}
            chunk.update(id="r1", end=False)
            assert rec.feed(chunk) is None
        assert rec.feed({"what": "rec", "id": "nobody", "data": "", "end": True}) is None
        done = rec.feed({"id": "r1", "data": "", "end": True})
        assert done["bytes"] == 24000 and done["ms"] == 3000 and done["start"] == 5000
        with open("rec/r1.wav", "rb") as f:
            wav = f.read()
        assert len(wav) == HEADER_LEN + 24000 and wav[HEADER_LEN:] == b"".join(chunks)
        assert wav[:HEADER_LEN] == header("alaw", None)  # append-only: streaming sizes
        assert struct.unpack("<H", wav[20:22])[0] == 6  # A-law
        assert len(header("alaw", 24000)) == HEADER_LEN
        idx, bad = records.read(INDEX)
        assert bad == 0 and [e["file"] for e in idx] == ["rec/r1.wav"] and idx[0]["agent"] == "201"
        from binascii import hexlify
        from hashlib import sha256

        assert idx[0]["sha256"] == hexlify(sha256(wav).digest()).decode()  # hashed as it was written
    finally:
        os.chdir(cwd)
        files.remove(D)


def _in_folder(fn):
    """fn() run in a fresh folder D of the current one, removed afterwards."""
    files.remove(D)
    cwd = os.getcwd()
    os.mkdir(D)
    os.chdir(D)
    try:
        fn()
    finally:
        os.chdir(cwd)
        files.remove(D)


def test_chunks_go_to_a_file_kept_open_and_a_recording_given_up_keeps_them():
    """Each chunk is written as it comes (the MCU's HAL hands the app a view of its recording
    ring, good only until the next report) into the file kept open while the recording is
    made: reopening it per chunk cost LittleFS a copy of its last block each time. A chunk
    changed after it was fed is not what the file holds; a recording given up keeps every
    chunk that came, is marked cut and has no hash."""

    def run():
        rec = Recorder("ulaw")
        rec.begin({"id": "r3", "file": "rec/r3.wav", "call": "c3"}, 0)
        ring = bytearray(800)
        for i in range(6):
            ring[:] = bytes([i]) * 800
            rec.feed({"id": "r3", "pcm": memoryview(ring), "end": False})
        ring[:] = b"\xee" * 800  # the HAL records over the segment again
        rec.give_up("c3")
        with open("rec/r3.wav", "rb") as f:
            assert f.read()[HEADER_LEN:] == b"".join(bytes([i]) * 800 for i in range(6))
        idx, _ = records.read(INDEX)
        assert idx[0]["bytes"] == 4800 and idx[0]["cut"] is True and "sha256" not in idx[0]
        assert not rec.busy("c3")
        rec.feed({"id": "r3", "pcm": b"late", "end": True})  # after it was given up: dropped
        assert records.read(INDEX)[0] == idx

    _in_folder(run)


def test_codes_a_line_card_dropped_are_a_gap_in_the_index_line():
    """hal_mcu drops a recording's chunks while the app leaves too many waiting, and says so
    in the next report ("lost", bytes): the index line keeps the gap in ms."""

    def run():
        rec = Recorder("ulaw")
        rec.begin({"id": "r2", "file": "rec/r2.wav", "call": "c2"}, 0)
        rec.feed({"id": "r2", "pcm": b"\x01" * 800, "end": False})
        rec.feed({"id": "r2", "pcm": b"\x02" * 800, "end": False, "lost": 2400})
        done = rec.feed({"id": "r2", "pcm": b"", "end": True, "lost": 800})
        assert done["bytes"] == 1600 and done["lost_ms"] == 400 and not done.get("cut")
        idx, _ = records.read(INDEX)
        assert idx[0]["lost_ms"] == 400

    _in_folder(run)


def test_recordings_past_retention_are_pruned_first():
    files.remove(D)
    cwd = os.getcwd()
    os.mkdir(D)
    os.chdir(D)
    try:
        rec = Recorder("ulaw", days=1, reserve=0)
        for i, t in enumerate((0, 50000000, 100000000)):
            rec.begin({"id": "r%d" % i, "file": "rec/r%d.wav" % i}, t)
            rec.feed({"id": "r%d" % i, "data": "", "end": True})
        rec.begin({"id": "r3", "file": "rec/r3.wav"}, 86400000 + 60000000)
        assert sorted(os.listdir("rec")) == ["index.log", "r2.wav", "r3.wav"] and rec.pruned == 2
    finally:
        os.chdir(cwd)
        files.remove(D)


def test_a_full_flash_prunes_then_cuts_a_recording_without_raising():
    """On a real 64 KiB LittleFS (MicroPython's VfsLfs2 on RAM blocks): finished recordings are
    pruned to make room, and one that cannot fit is cut short, its file and index line whole."""
    try:
        import vfs

        lfs = vfs.VfsLfs2
    except (ImportError, AttributeError):
        import pytest

        pytest.skip("VfsLfs2 is MicroPython's")
    from test_fw_files import _RamBlocks

    bdev = _RamBlocks(128)
    lfs.mkfs(bdev)
    vfs.mount(lfs(bdev), "/_cg_rec")
    cwd = os.getcwd()
    try:
        os.chdir("/_cg_rec")
        rec = Recorder("ulaw", reserve=40000)
        chunk = b2a_base64(bytes(8000)).decode()
        rec.begin({"id": "old", "file": "rec/old.wav"}, 0)
        for _ in range(3):
            rec.feed({"id": "old", "data": chunk})
        assert rec.feed({"id": "old", "data": "", "end": True})["bytes"] == 24000
        rec.begin({"id": "new", "file": "rec/new.wav"}, 1000)  # too little room left: old goes
        assert rec.pruned == 1 and "old.wav" not in os.listdir("rec")
        for _ in range(12):  # 96 kB: more than the whole flash
            rec.feed({"id": "new", "data": chunk})
        assert rec.cut == 1 and "new" not in rec.open
        idx, bad = records.read(INDEX)
        assert bad == 0 and idx[-1]["id"] == "new" and 0 < idx[-1]["bytes"] < 64000
        assert os.stat("rec/new.wav")[6] == HEADER_LEN + idx[-1]["bytes"]
    finally:
        os.chdir(cwd)
        vfs.umount("/_cg_rec")


def _in_folder(fn):
    files.remove(D)
    cwd = os.getcwd()
    os.mkdir(D)
    os.chdir(D)
    try:
        fn()
    finally:
        os.chdir(cwd)
        files.remove(D)


def _call_record(rid, recording):
    return {"id": rid, "ended": 1795420800000, "outcome": "voicemail", "recording": recording}


def test_a_call_record_waits_until_its_recording_is_complete_on_the_flash():
    """The call ends (record_stop on its way) before the line card's last chunk: the record,
    and its event (out), come only after the recording's index line."""
    def run():
        rec, log = Recorder("ulaw"), CdrLog("cdr")
        rec.begin({"id": "c1-vm", "file": "rec/c1-vm.wav", "kind": "voicemail", "call": "c1"}, 0)
        rec.feed({"id": "c1-vm", "data": b2a_base64(bytes(800)).decode(), "end": False})
        log.end(_call_record("c1", "rec/c1-vm.wav"), rec, 1000)
        assert log.out == [] and log.written == 0 and "cdr" not in os.listdir()
        log.release(rec, 1500)  # nothing new: it still waits
        assert log.out == [] and len(log.waiting) == 1
        rec.feed({"id": "c1-vm", "data": b2a_base64(bytes(400)).decode(), "end": True})
        idx, _ = records.read(INDEX)
        assert [e["id"] for e in idx] == ["c1-vm"] and idx[0]["bytes"] == 1200 and "cut" not in idx[0]
        log.release(rec, 1600)
        assert log.waiting == [] and len(log.out) == 1 and log.out[0][1] == "cdr/20261123.log"
        got, bad = records.read("cdr/20261123.log")
        assert bad == 0 and got[0]["id"] == "c1" and "recording_cut" not in got[0]
        log.end(_call_record("c2", None), rec, 2000)  # nothing recorded: written at once
        assert len(log.out) == 2 and log.written == 2

    _in_folder(run)


def test_a_record_whose_line_finds_no_memory_waits_a_tick_and_the_app_goes_on():
    """The defect (the emulated MCU's busy spell): a call record's 539-byte line raised
    MemoryError with 27 KB free in pieces, the app crashed and the board dropped every call.
    The record waits and is written at the next release(); one that finds no memory again
    waits again (release and flush never loop on it); nothing is written twice."""
    cdr_mod = fw.module("cdr")

    class Short:
        """records.append failing with MemoryError `misses` times."""

        def __init__(self, misses):
            self.misses = misses

        def append(self, path, record):
            if self.misses:
                self.misses -= 1
                raise MemoryError("memory allocation failed, allocating 539 bytes")
            records.append(path, record)

    def run():
        rec, log = Recorder("ulaw"), CdrLog("cdr")
        cdr_mod.records = Short(3)
        try:
            log.end(_call_record("c1", None), rec, 1000)  # no memory: it waits
            assert log.out == [] and log.written == 0 and len(log.waiting) == 1 and log.short == 1
            log.release(rec, 1250)  # none again: it waits again, the release returns
            assert log.out == [] and len(log.waiting) == 1 and log.short == 2
            log.end(_call_record("c2", None), rec, 1300)  # the third miss: both wait
            assert len(log.waiting) == 2
            log.release(rec, 1500)
        finally:
            cdr_mod.records = records
        assert log.waiting == [] and [r["id"] for r, _ in log.out] == ["c1", "c2"] and log.written == 2
        got, bad = records.read("cdr/20261123.log")
        assert bad == 0 and [r["id"] for r in got] == ["c1", "c2"]

    _in_folder(run)


def test_a_recording_whose_last_chunk_never_comes_is_closed_cut_and_the_record_says_so():
    def run():
        rec, log = Recorder("ulaw"), CdrLog("cdr", wait_ms=5000)
        rec.begin({"id": "c1", "file": "rec/c1.wav", "call": "c1"}, 0)
        rec.feed({"id": "c1", "data": b2a_base64(bytes(800)).decode(), "end": False})
        log.end(_call_record("c1", "rec/c1.wav"), rec, 1000)
        log.release(rec, 5999)
        assert log.out == []
        log.release(rec, 6000)
        assert len(log.out) == 1 and log.out[0][0]["recording_cut"] is True
        idx, _ = records.read(INDEX)
        assert idx[0]["id"] == "c1" and idx[0]["cut"] is True and idx[0]["bytes"] == 800 and rec.cut == 1
        assert rec.feed({"id": "c1", "data": b2a_base64(bytes(8)).decode(), "end": True}) is None  # too late
        assert len(records.read(INDEX)[0]) == 1 and not rec.busy("c1")
        # the app stopping: a record still waiting is written, its recording cut
        rec.begin({"id": "c2", "file": "rec/c2.wav", "call": "c2"}, 0)
        log.end(_call_record("c2", "rec/c2.wav"), rec, 7000)
        log.flush(rec)
        assert log.waiting == [] and log.out[-1][0]["id"] == "c2" and log.out[-1][0]["recording_cut"] is True

    _in_folder(run)


def test_a_recording_that_could_not_start_is_marked_in_the_call_record():
    def run():
        rec, log = Recorder("ulaw"), CdrLog("cdr")
        with open("rec", "w") as f:  # a file where the folder should be: the WAV cannot be made
            f.write("x")
        try:
            rec.begin({"id": "c1", "file": "rec/c1.wav", "call": "c1"}, 0)
            raise AssertionError("begin() made a file in a folder that is a file")
        except OSError:
            pass
        assert not rec.busy("c1") and rec.cut == 1
        log.end(_call_record("c1", "rec/c1.wav"), rec, 1000)
        assert log.out[0][0]["recording_cut"] is True
        log.end(_call_record("c2", None), rec, 1000)
        assert "recording_cut" not in log.out[1][0]  # told once, to its own call

    _in_folder(run)
