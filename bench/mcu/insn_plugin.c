/*
 * insn_plugin.c: a QEMU TCG plugin that counts the guest instructions executed between marker
 * calls, exactly. Built with the host's gcc as a shared object by `make bench-mcu`.
 *
 *   qemu-system-arm ... -plugin build/mcu/insn_plugin.so,mark=0x1234,out=FILE[,blocks=FILE2]
 *
 * The guest program calls one function, whose address is `mark` (from the ELF's symbol table,
 * arm-none-eabi-nm), before and after every measured stretch. Each time the first instruction
 * of that function executes, the plugin writes the number of guest instructions executed so
 * far as one line of FILE. The difference between two consecutive lines is the instructions
 * from one marker call to the next: the measured code plus the same fixed marker overhead each
 * time (bench/mcu/run.py subtracts it, measured by two marker calls back to back).
 *
 * With blocks=FILE2 it also writes, at exit, one line per translation block executed:
 * "ADDRESS INSTRUCTIONS TIMES" (hex address of its first instruction, its length in
 * instructions, how often it ran); mcu_bench.py adds them up per function of the ELF's symbol
 * table, for the whole run.
 *
 * Counting: every translation block adds its instruction count to one 64-bit counter when it
 * starts executing (an inline add, no call). The benchmark program takes no interrupts, so a
 * block that starts always runs to its end and the count is exact; QEMU is deterministic here
 * (no -icount needed), so two runs give the same numbers.
 *
 * Debian's qemu-system-arm ships no qemu-plugin.h: the few declarations of plugin API version 1
 * that this file uses are written out below, as QEMU 7.2 defines them.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the plugin API, version 1 (QEMU 7.2 include/qemu/qemu-plugin.h) --------------------- */

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* --- the counter -------------------------------------------------------------------------- */

static uint64_t executed;  /* guest instructions so far (one vCPU) */

/* Per translation block (blocks=FILE2): an open-addressed table keyed by start address; a block
 * translated again (same address, same length) counts into the same entry. */
#define TB_SLOTS (1u << 16)
typedef struct {
    uint64_t vaddr;
    uint64_t insns;
    uint64_t times;
} tb_count_t;
static tb_count_t *tbs;
static FILE *tb_out;

static tb_count_t *tb_entry(uint64_t vaddr, uint64_t insns)
{
    uint32_t h = (uint32_t) ((vaddr * 0x9E3779B97F4A7C15ull) >> 48) & (TB_SLOTS - 1);
    for (uint32_t probe = 0; probe < TB_SLOTS; probe++, h = (h + 1) & (TB_SLOTS - 1)) {
        tb_count_t *e = &tbs[h];
        if (e->insns == 0) {
            e->vaddr = vaddr;
            e->insns = insns;
            return e;
        }
        if (e->vaddr == vaddr && e->insns == insns)
            return e;
    }
    return NULL; /* full: not counted per block (the total still is) */
}
static uint64_t mark_addr; /* first instruction of the marker function */
static uint64_t marks;
static FILE *out;

static void on_mark(unsigned int vcpu_index, void *userdata)
{
    (void) vcpu_index;
    (void) userdata;
    marks++;
    fprintf(out, "%" PRIu64 "\n", executed);
    fflush(out);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void) id;
    const size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    if (tbs != NULL && n > 0) {
        tb_count_t *e = tb_entry(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)), n);
        if (e != NULL)
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &e->times, 1);
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (qemu_plugin_insn_vaddr(insn) == mark_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void at_exit_cb(qemu_plugin_id_t id, void *userdata)
{
    (void) id;
    (void) userdata;
    fprintf(out, "# total %" PRIu64 " instructions, %" PRIu64 " marks\n", executed, marks);
    fclose(out);
    if (tb_out != NULL) {
        for (uint32_t i = 0; i < TB_SLOTS; i++)
            if (tbs[i].times)
                fprintf(tb_out, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", tbs[i].vaddr,
                        tbs[i].insns, tbs[i].times);
        fclose(tb_out);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    const char *path = NULL, *blocks = NULL;
    if (info->version.cur < 1) {
        fprintf(stderr, "insn_plugin: needs plugin API version 1 or later\n");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "mark=", 5) == 0)
            mark_addr = strtoull(argv[i] + 5, NULL, 0) & ~(uint64_t) 1; /* Thumb bit */
        else if (strncmp(argv[i], "out=", 4) == 0)
            path = argv[i] + 4;
        else if (strncmp(argv[i], "blocks=", 7) == 0)
            blocks = argv[i] + 7;
        else {
            fprintf(stderr, "insn_plugin: unknown argument %s (mark=ADDR, out=FILE, blocks=FILE)\n", argv[i]);
            return -1;
        }
    }
    if (mark_addr == 0 || path == NULL) {
        fprintf(stderr, "insn_plugin: needs mark=ADDR and out=FILE\n");
        return -1;
    }
    out = fopen(path, "w");
    if (out == NULL) {
        perror(path);
        return -1;
    }
    if (blocks != NULL) {
        tbs = calloc(TB_SLOTS, sizeof *tbs);
        tb_out = fopen(blocks, "w");
        if (tbs == NULL || tb_out == NULL) {
            perror(blocks);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit_cb, NULL);
    return 0;
}
