"""The hardware-in-the-loop test rig: proves a board works on its real lines.

labgrid's shape in plain classes (docs/rig.md):

  resources.py   descriptions only: the DUT's serial URL, the far end (a line simulator)
  farend.py      FarEnd, the protocol of whatever drives the DUT's FXO lines, and SimLineFarEnd,
                 the virtual board's simulated central office (its control socket)
  dut.py         GatewayDriver: the DUT over its link (callgate.link.client), observing
                 call / cid / dtmf events
  signals.py     the far end's audio: DTMF with level, twist, frequency offset, timing, noise;
                 caller ID by format, standard and level
  plan.py        test plans (YAML), validated with errors naming file:line
  runner.py      Rig: runs a plan's cases, one call each, and judges them
  report.py      JUnit XML, report.html with matplotlib plots, WAVs of failing cases
  pytest_plugin.py  --gateway-port and the `gateway` fixture

    callgate [--port P] rig run plans/short.yaml --out build/rig
"""
