/* The host-made test signals (bench/mcu/mcu_bench.py writes them as raw little-endian int16
 * into build/mcu/signals/), linked into PSRAM: for each NAME, sig_NAME .. sig_NAME_end. */
    .macro SIGNAL name
    .global sig_\name
    .global sig_\name\()_end
    .balign 4
sig_\name:
    .incbin "\name\().raw"
sig_\name\()_end:
    .endm

    .section .signals, "a"
    SIGNAL silence
    SIGNAL digits
    SIGNAL speech
    SIGNAL noise
