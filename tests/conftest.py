import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "c_src" / "gen"))  # make_tables: the G.191 transcription
