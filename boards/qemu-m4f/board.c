// The board's own C: its flash and its clock. Built into the image by mpconfigboard.mk.
//
// Flash: QEMU's mps2 machines have no flash controller a program can write, so the board's
// flash is a file on the host, reached through Arm semihosting (QEMU runs with -semihosting;
// the path is relative to QEMU's working directory). `_board.Flash(path)` is a MicroPython
// block device over it (the extended protocol with offsets, as VfsLfs2 uses it); the frozen
// _boot.py mounts it with LittleFS2 at every boot. Writes reach the file at once, so the file
// keeps what a board's flash keeps when the power goes.
//
// UARTs: UART0 is the REPL (the port's own). `_board.UART(1)` and `_board.UART(2)` are the
// mps2-an386's UART1 and UART2 as non-blocking byte streams (read, readinto, readline,
// write, and poll, so asyncio.StreamReader/StreamWriter take them): the host link's data UART
// and the line-card bus, each a channel of its own (QEMU: one -serial per UART), so a 0x03 on
// them is a byte, never a Ctrl-C. The CMSDK UART holds one received byte; its RX interrupt
// moves it to a 4 KiB ring at once (QEMU then delivers the next), and a read takes what the
// ring holds.
//
// ROMFS partitions: the top 512 KiB of the image's 1 MiB flash (m4f.ld), two partitions of
// 256 KiB (the part's 128 KiB sectors 8-9 and 10-11) that the port's vfs.rom_ioctl offers to
// vfs.VfsRom: a deployed firmware runs from one in place (firmware/main.py; docs/deploy.md).
// QEMU's flash is SSRAM1, RAM that is gone when QEMU stops, so at power-on each partition is
// loaded from rom0.img / rom1.img beside flash.img (missing: erased, 0xFF), and
// `_board.rom_erase(n)` / `_board.rom_write(n, offset, data)` change the memory and the file
// together: the board's flash controller (a real STM32 port erases and programs its sectors
// there). Programming only clears bits, as flash does, and the partition a mounted VfsRom
// runs from is refused.
//
// Clock: the port has no RTC; mp_hal_time_ns (file times in LittleFS, time.time) counts from
// 1970-01-01 at boot. The firmware takes wall time from the host link, not from here.

#include <string.h>

#include "py/gc.h"
#include "py/mperrno.h"
#include "py/stream.h"
#include "py/mphal.h"
#include "py/runtime.h"
#include "extmod/vfs.h"
#include "extmod/vfs_rom.h"
#include "shared/runtime/interrupt_char.h"
#include "shared/runtime/pyexec.h"

// --- Arm semihosting: file calls -----------------------------------------------------------

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_SEEK 0x0A
#define SYS_FLEN 0x0C
#define OPEN_MODE_RB 1  // "rb": read an existing file
#define OPEN_MODE_RPLUS_B 3  // "r+b": read and write an existing file
#define OPEN_MODE_WB 5  // "wb": create or truncate, then write

static int semihost(int op, void *args) {
    register int r0 __asm__ ("r0") = op;
    register void *r1 __asm__ ("r1") = args;
    __asm__ volatile ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return r0;
}

// --- _board.Flash: a block device over a semihosting file ----------------------------------

typedef struct {
    mp_obj_base_t base;
    int handle;
    uint32_t block_size;
    uint32_t blocks;
} flash_obj_t;

static void flash_seek(flash_obj_t *self, uint32_t block, uint32_t offset) {
    uint32_t args[2] = { (uint32_t)self->handle, block * self->block_size + offset };
    if (semihost(SYS_SEEK, args) != 0) {
        mp_raise_OSError(MP_EIO);
    }
}

// Flash(path, block_size=4096): the file must exist; its size sets the block count.
static mp_obj_t flash_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 2, false);
    size_t len;
    const char *path = mp_obj_str_get_data(args[0], &len);
    mp_int_t block_size = n_args > 1 ? mp_obj_get_int(args[1]) : 4096;
    if (block_size < 128 || (block_size & (block_size - 1))) {
        mp_raise_ValueError(MP_ERROR_TEXT("block_size must be a power of two >= 128"));
    }
    uint32_t open_args[3] = { (uint32_t)path, OPEN_MODE_RPLUS_B, len };
    int handle = semihost(SYS_OPEN, open_args);
    if (handle < 0) {
        mp_raise_OSError(MP_ENOENT);
    }
    uint32_t flen_args[1] = { (uint32_t)handle };
    int size = semihost(SYS_FLEN, flen_args);
    flash_obj_t *self = mp_obj_malloc(flash_obj_t, type);
    self->handle = handle;
    self->block_size = (uint32_t)block_size;
    self->blocks = size > 0 ? (uint32_t)size / (uint32_t)block_size : 0;
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t flash_readblocks(size_t n_args, const mp_obj_t *args) {
    flash_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t b;
    mp_get_buffer_raise(args[2], &b, MP_BUFFER_WRITE);
    flash_seek(self, mp_obj_get_int(args[1]), n_args > 3 ? mp_obj_get_int(args[3]) : 0);
    uint32_t rw[3] = { (uint32_t)self->handle, (uint32_t)b.buf, b.len };
    if (semihost(SYS_READ, rw) != 0) {  // bytes not read
        mp_raise_OSError(MP_EIO);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(flash_readblocks_obj, 3, 4, flash_readblocks);

static mp_obj_t flash_writeblocks(size_t n_args, const mp_obj_t *args) {
    flash_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_buffer_info_t b;
    mp_get_buffer_raise(args[2], &b, MP_BUFFER_READ);
    flash_seek(self, mp_obj_get_int(args[1]), n_args > 3 ? mp_obj_get_int(args[3]) : 0);
    uint32_t rw[3] = { (uint32_t)self->handle, (uint32_t)b.buf, b.len };
    if (semihost(SYS_WRITE, rw) != 0) {  // bytes not written
        mp_raise_OSError(MP_EIO);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(flash_writeblocks_obj, 3, 4, flash_writeblocks);

static mp_obj_t flash_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    flash_obj_t *self = MP_OBJ_TO_PTR(self_in);
    (void)arg_in;
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return MP_OBJ_NEW_SMALL_INT(self->blocks);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(self->block_size);
        default:  // init, deinit, sync, erase: a file needs none
            return MP_OBJ_NEW_SMALL_INT(0);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(flash_ioctl_obj, flash_ioctl);

static const mp_rom_map_elem_t flash_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&flash_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&flash_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&flash_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(flash_locals, flash_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(flash_type, MP_QSTR_Flash, MP_TYPE_FLAG_NONE,
    make_new, flash_make_new, locals_dict, &flash_locals);

// --- _board.UART(n): the CMSDK APB UARTs 1..4 as streams -----------------------------------

typedef struct {
    volatile uint32_t DATA;
    volatile uint32_t STATE;
    volatile uint32_t CTRL;
    volatile uint32_t INTSTATUS;
    volatile uint32_t BAUDDIV;
} cmsdk_uart_t;

#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TX_EN (1u << 0)
#define UART_CTRL_RX_EN (1u << 1)
#define UART_CTRL_RX_INT (1u << 3)
#define UART_INT_RX (1u << 1)
#define RING 4096  // received bytes held per UART (a power of two)

static const uint32_t uart_base[] = { 0x40004000, 0x40005000, 0x40006000, 0x40007000, 0x40009000 };
static const uint8_t uart_rx_irq[] = { 0, 2, 4, 18, 20 };  // QEMU mps2-an385/an386

// Received bytes: the RX interrupt moves each byte from the UART's one-byte holding register
// into the UART's ring at once, whatever the firmware is doing, as a real board's UART DMA
// does. Without it a byte waited there until Python read it, and QEMU delivers the next only
// then: a 512-byte link frame took a turn of the asyncio loop per byte. A full ring leaves
// the byte in the register and masks the interrupt until a read makes room: QEMU then holds
// the rest back, so nothing is lost.
typedef struct {
    uint8_t buf[RING];
    volatile uint32_t head;  // written by the interrupt
    volatile uint32_t tail;  // by uart_read
} ring_t;

static ring_t uart_ring[2];  // UART1 and UART2

static void uart_rx_drain(int id) {
    cmsdk_uart_t *u = (cmsdk_uart_t *)uart_base[id];
    ring_t *r = &uart_ring[id - 1];
    u->INTSTATUS = UART_INT_RX;
    while (u->STATE & UART_STATE_RXFULL) {
        if (r->head - r->tail >= RING) {
            u->CTRL &= ~UART_CTRL_RX_INT;  // full: unmasked again by uart_read
            return;
        }
        r->buf[r->head % RING] = (uint8_t)u->DATA;
        r->head++;
    }
}

static void uart1_rx_irq(void) {
    uart_rx_drain(1);
}

static void uart2_rx_irq(void) {
    uart_rx_drain(2);
}

// The vector table in RAM: the port's 16 system vectors, then the external interrupts.
#define VECTORS (16 + 32)
static uint32_t vectors[VECTORS] __attribute__((aligned(256)));
#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100)

static void uart_irq_on(int id) {
    if (SCB_VTOR != (uint32_t)vectors) {
        const uint32_t *old = (const uint32_t *)SCB_VTOR;
        for (int i = 0; i < 16; i++) {
            vectors[i] = old[i];
        }
        vectors[16 + uart_rx_irq[1]] = (uint32_t)uart1_rx_irq;
        vectors[16 + uart_rx_irq[2]] = (uint32_t)uart2_rx_irq;
        __asm__ volatile ("dsb" ::: "memory");
        SCB_VTOR = (uint32_t)vectors;
        __asm__ volatile ("dsb\n isb" ::: "memory");
    }
    NVIC_ISER0 = 1u << uart_rx_irq[id];
}

typedef struct {
    mp_obj_base_t base;
    cmsdk_uart_t *regs;
    uint8_t id;
} uart_obj_t;

static mp_obj_t uart_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    mp_int_t id = mp_obj_get_int(args[0]);
    if (id < 1 || id > 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("UART 1 or 2 (UART0 is the REPL)"));
    }
    uart_obj_t *self = mp_obj_malloc(uart_obj_t, type);
    self->regs = (cmsdk_uart_t *)uart_base[id];
    self->id = (uint8_t)id;
    self->regs->BAUDDIV = 16;
    self->regs->CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT;
    uart_irq_on(id);
    return MP_OBJ_FROM_PTR(self);
}

static mp_uint_t uart_read(mp_obj_t self_in, void *buf, mp_uint_t size, int *errcode) {
    uart_obj_t *self = MP_OBJ_TO_PTR(self_in);
    ring_t *r = &uart_ring[self->id - 1];
    uint8_t *p = buf;
    mp_uint_t n = 0;
    while (n < size && r->tail != r->head) {
        p[n++] = r->buf[r->tail % RING];
        r->tail++;
    }
    if (!(self->regs->CTRL & UART_CTRL_RX_INT)) {  // the ring was full: take what waits, unmask
        uint32_t primask;
        __asm__ volatile ("mrs %0, primask\n cpsid i" : "=r" (primask) :: "memory");
        self->regs->CTRL |= UART_CTRL_RX_INT;
        uart_rx_drain(self->id);
        __asm__ volatile ("msr primask, %0" :: "r" (primask) : "memory");
    }
    if (n == 0 && size > 0) {
        *errcode = MP_EAGAIN;
        return MP_STREAM_ERROR;
    }
    return n;
}

static mp_uint_t uart_write(mp_obj_t self_in, const void *buf, mp_uint_t size, int *errcode) {
    uart_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const uint8_t *p = buf;
    (void)errcode;
    for (mp_uint_t i = 0; i < size; i++) {
        while (self->regs->STATE & UART_STATE_TXFULL) {
        }
        self->regs->DATA = p[i];
    }
    return size;
}

static mp_uint_t uart_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    uart_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (request == MP_STREAM_POLL) {
        mp_uint_t ready = 0;
        if ((arg & MP_STREAM_POLL_RD) && uart_ring[self->id - 1].tail != uart_ring[self->id - 1].head) {
            ready |= MP_STREAM_POLL_RD;
        }
        if ((arg & MP_STREAM_POLL_WR) && !(self->regs->STATE & UART_STATE_TXFULL)) {
            ready |= MP_STREAM_POLL_WR;
        }
        return ready;
    }
    if (request == MP_STREAM_FLUSH || request == MP_STREAM_CLOSE) {
        return 0;
    }
    *errcode = MP_EINVAL;
    return MP_STREAM_ERROR;
}

static const mp_stream_p_t uart_stream_p = {
    .read = uart_read,
    .write = uart_write,
    .ioctl = uart_ioctl,
};

static const mp_rom_map_elem_t uart_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&mp_stream_read_obj) },
    { MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&mp_stream_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_readline), MP_ROM_PTR(&mp_stream_unbuffered_readline_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&mp_stream_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_flush), MP_ROM_PTR(&mp_stream_flush_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&mp_stream_close_obj) },
};
static MP_DEFINE_CONST_DICT(uart_locals, uart_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(uart_type, MP_QSTR_UART, MP_TYPE_FLAG_ITER_IS_STREAM,
    make_new, uart_make_new, protocol, &uart_stream_p, locals_dict, &uart_locals);

// --- ROMFS partitions: loaded at power-on, erased and programmed by _board ----------------

static uint8_t *const rom_base[] = {
    (uint8_t *)MICROPY_HW_ROMFS_PART0_START, (uint8_t *)MICROPY_HW_ROMFS_PART1_START,
};
static const uint32_t rom_size[] = { MICROPY_HW_ROMFS_PART0_SIZE, MICROPY_HW_ROMFS_PART1_SIZE };
static const char *const rom_file[] = { "rom0.img", "rom1.img" };
#define ROM_PARTS 2

static int file_open(const char *path, int mode) {
    uint32_t args[3] = { (uint32_t)path, (uint32_t)mode, strlen(path) };
    return semihost(SYS_OPEN, args);
}

static void file_close(int handle) {
    uint32_t args[1] = { (uint32_t)handle };
    semihost(SYS_CLOSE, args);
}

// Bytes of the file at offset, from memory; false if the host refused.
static bool file_put(int handle, uint32_t offset, const uint8_t *data, uint32_t len) {
    uint32_t seek[2] = { (uint32_t)handle, offset };
    uint32_t rw[3] = { (uint32_t)handle, (uint32_t)data, len };
    return semihost(SYS_SEEK, seek) == 0 && semihost(SYS_WRITE, rw) == 0;
}

// At power-on (the .bss flag is cleared by every reset): each partition from its file.
static void rom_load(void) {
    static bool done;
    if (done) {
        return;
    }
    done = true;
    for (int n = 0; n < ROM_PARTS; n++) {
        memset(rom_base[n], 0xFF, rom_size[n]);
        int h = file_open(rom_file[n], OPEN_MODE_RB);
        if (h < 0) {
            continue;  // never written: erased
        }
        uint32_t flen_args[1] = { (uint32_t)h };
        int len = semihost(SYS_FLEN, flen_args);
        uint32_t want = len > 0 && (uint32_t)len < rom_size[n] ? (uint32_t)len : rom_size[n];
        uint32_t rw[3] = { (uint32_t)h, (uint32_t)rom_base[n], want };
        if (semihost(SYS_READ, rw) != 0) {
            memset(rom_base[n], 0xFF, rom_size[n]);  // unreadable: erased
        }
        file_close(h);
    }
}

// Partition n, refused while a mounted VfsRom reads from it. The VfsRom object's first fields
// (extmod/vfs_rom.c at this MicroPython commit): base, memory, filesystem.
typedef struct {
    mp_obj_base_t base;
    mp_obj_t memory;
    const uint8_t *filesystem;
} vfs_rom_head_t;

static int rom_part(mp_obj_t n_in) {
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0 || n >= ROM_PARTS) {
        mp_raise_ValueError(MP_ERROR_TEXT("ROMFS partition 0 or 1"));
    }
    for (mp_vfs_mount_t *m = MP_STATE_VM(vfs_mount_table); m != NULL; m = m->next) {
        if (mp_obj_get_type(m->obj) == &mp_type_vfs_rom) {
            const uint8_t *fs = ((vfs_rom_head_t *)MP_OBJ_TO_PTR(m->obj))->filesystem;
            if (fs >= rom_base[n] && fs < rom_base[n] + rom_size[n]) {
                mp_raise_OSError(MP_EBUSY);  // the running firmware's partition
            }
        }
    }
    return (int)n;
}

// _board.rom_erase(n): every byte 0xFF, in memory and in the partition's file.
static mp_obj_t board_rom_erase(mp_obj_t n_in) {
    int n = rom_part(n_in);
    memset(rom_base[n], 0xFF, rom_size[n]);
    int h = file_open(rom_file[n], OPEN_MODE_WB);
    bool ok = h >= 0 && file_put(h, 0, rom_base[n], rom_size[n]);
    if (h >= 0) {
        file_close(h);
    }
    if (!ok) {
        mp_raise_OSError(MP_EIO);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_rom_erase_obj, board_rom_erase);

// _board.rom_write(n, offset, data): program data at offset of partition n. Flash programming
// only turns 1s into 0s: bytes that would need an erase first raise ValueError.
static mp_obj_t board_rom_write(mp_obj_t n_in, mp_obj_t offset_in, mp_obj_t data_in) {
    int n = rom_part(n_in);
    mp_int_t offset = mp_obj_get_int(offset_in);
    mp_buffer_info_t b;
    mp_get_buffer_raise(data_in, &b, MP_BUFFER_READ);
    if (offset < 0 || (uint32_t)offset + b.len > rom_size[n]) {
        mp_raise_ValueError(MP_ERROR_TEXT("past the partition's end"));
    }
    uint8_t *dst = rom_base[n] + offset;
    const uint8_t *src = b.buf;
    for (size_t i = 0; i < b.len; i++) {
        if ((dst[i] & src[i]) != src[i]) {
            mp_raise_ValueError(MP_ERROR_TEXT("not erased"));
        }
    }
    memcpy(dst, src, b.len);
    const uint8_t *out = dst;
    uint32_t at = (uint32_t)offset, len = b.len;
    int h = file_open(rom_file[n], OPEN_MODE_RPLUS_B);
    if (h < 0) {  // no file yet: the whole partition, so the file holds what the memory holds
        h = file_open(rom_file[n], OPEN_MODE_WB);
        out = rom_base[n];
        at = 0;
        len = rom_size[n];
    }
    bool ok = h >= 0 && file_put(h, at, out, len);
    if (h >= 0) {
        file_close(h);
    }
    if (!ok) {
        mp_raise_OSError(MP_EIO);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(board_rom_write_obj, board_rom_write);

// --- The line-card bus's RX ticks, a block at a time ----------------------------------------
// A real board's line cards hand the MCU each tick's frames by DMA (PCM/TDM or SPI), a block
// per transfer. QEMU's CMSDK UARTs hold one byte at a time and QEMU delivers the next only
// after the guest read the last, one turn of its event loop per byte, which capped the bus near
// 10 kB/s, so the emulated board moves each RX tick as a block: the host writes the tick's wire
// bytes, after a 2-byte little-endian length, into slot n of a file beside the flash (board.json
// "uarts"."bus"."slots"), then sends the byte n on UART2 as the doorbell; bus_slot() reads the
// slot back through semihosting. The bytes are the same frames as on a byte stream (CRC,
// stuffing, tick numbers), so a stale or overwritten slot is a lost tick, nothing worse.

static int bus_file = -1;

// bus_open(name): open the slots' file (the host made it before the board started).
static mp_obj_t board_bus_open(mp_obj_t name_in) {
    if (bus_file >= 0) {
        file_close(bus_file);
    }
    bus_file = file_open(mp_obj_str_get_str(name_in), OPEN_MODE_RB);
    if (bus_file < 0) {
        mp_raise_OSError(MP_ENOENT);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_bus_open_obj, board_bus_open);

// bus_slot(n, size, buf): slot n (of `size` bytes) into buf; the length of the wire bytes at
// buf[2:], 0 if the slot could not be read.
static mp_obj_t board_bus_slot(mp_obj_t n_in, mp_obj_t size_in, mp_obj_t buf_in) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(buf_in, &buf, MP_BUFFER_WRITE);
    uint32_t size = (uint32_t)mp_obj_get_int(size_in);
    uint32_t want = size < buf.len ? size : buf.len;
    if (bus_file < 0 || want < 2) {
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    uint32_t seek[2] = { (uint32_t)bus_file, (uint32_t)mp_obj_get_int(n_in) * size };
    uint32_t rw[3] = { (uint32_t)bus_file, (uint32_t)buf.buf, want };
    int left = semihost(SYS_SEEK, seek) == 0 ? semihost(SYS_READ, rw) : -1;
    if (left < 0 || (uint32_t)left > want - 2) {
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    const uint8_t *b = buf.buf;
    uint32_t len = b[0] | (uint32_t)b[1] << 8;
    uint32_t got = want - (uint32_t)left - 2;
    return MP_OBJ_NEW_SMALL_INT(len < got ? len : got);
}
static MP_DEFINE_CONST_FUN_OBJ_3(board_bus_slot_obj, board_bus_slot);

// --- Ctrl-C on the REPL while the application runs ------------------------------------------
// The port reads UART0 only when its REPL asks for a byte, so a running program could not be
// interrupted. `_board.watch_ctrl_c(True)` (hal_mcu.py, while the app runs) makes the VM
// look at UART0 every CTRL_C_EVERY backward jumps or calls, and asyncio's idle wait at every
// turn: a Ctrl-C byte raises KeyboardInterrupt (the app stops, main.py leaves the REPL
// free, as mpremote expects of a board); other bytes are dropped (nobody reads the REPL while
// the app runs). It disarms itself when it fires and with watch_ctrl_c(False).

#define CTRL_C_EVERY 64

static bool ctrl_c_armed;
static uint32_t ctrl_c_count;

void callgate_ctrl_c_poll(void) {
    if (!ctrl_c_armed || ++ctrl_c_count < CTRL_C_EVERY) {
        return;
    }
    ctrl_c_count = 0;
    cmsdk_uart_t *u = (cmsdk_uart_t *)uart_base[0];
    while (u->STATE & UART_STATE_RXFULL) {
        int c = (int)(u->DATA & 0xFF);
        if (c == mp_interrupt_char) {
            ctrl_c_armed = false;
            mp_sched_keyboard_interrupt();
            return;
        }
    }
}

static mp_obj_t board_watch_ctrl_c(mp_obj_t on) {
    ctrl_c_armed = mp_obj_is_true(on);
    ctrl_c_count = 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_watch_ctrl_c_obj, board_watch_ctrl_c);

// --- The heap's largest free block ---------------------------------------------------------
// `_board.heap_largest_free()` -> bytes: the biggest allocation the heap could take now. A
// heap with room to spare can still refuse a 1.5 KB block when its free space lies in pieces
// (docs/hardware.md, Heap); hal_mcu samples this beside gc.mem_free().

static mp_obj_t board_heap_largest_free(void) {
    gc_info_t info;
    gc_info(&info);
    return MP_OBJ_NEW_SMALL_INT(info.max_free * MICROPY_BYTES_PER_GC_BLOCK);
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_heap_largest_free_obj, board_heap_largest_free);

static const mp_rom_map_elem_t board_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_heap_largest_free), MP_ROM_PTR(&board_heap_largest_free_obj) },
    { MP_ROM_QSTR(MP_QSTR_watch_ctrl_c), MP_ROM_PTR(&board_watch_ctrl_c_obj) },
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__board) },
    { MP_ROM_QSTR(MP_QSTR_Flash), MP_ROM_PTR(&flash_type) },
    { MP_ROM_QSTR(MP_QSTR_UART), MP_ROM_PTR(&uart_type) },
    { MP_ROM_QSTR(MP_QSTR_rom_erase), MP_ROM_PTR(&board_rom_erase_obj) },
    { MP_ROM_QSTR(MP_QSTR_rom_write), MP_ROM_PTR(&board_rom_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_bus_open), MP_ROM_PTR(&board_bus_open_obj) },
    { MP_ROM_QSTR(MP_QSTR_bus_slot), MP_ROM_PTR(&board_bus_slot_obj) },
};
static MP_DEFINE_CONST_DICT(board_module_globals, board_module_globals_table);

const mp_obj_module_t board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&board_module_globals,
};
MP_REGISTER_MODULE(MP_QSTR__board, board_module);

// --- os.urandom ----------------------------------------------------------------------------
// The qemu port's mp_hal_get_random is an LCG that starts from the same state at every
// power-on; the part's RNG peripheral is not modelled. So at power-on the LCG is moved on by
// up to 65535 steps chosen by the host's clock (semihosting SYS_TIME) and the microsecond
// counter: two boots get different boot ids (app.py). Not for secrets: nothing uses it so.
#define SYS_TIME 0x11

static void random_moved_on(void) {
    static bool done;
    if (done) {
        return;
    }
    done = true;
    uint32_t seed = (uint32_t)semihost(SYS_TIME, NULL) * 2654435761u ^ (uint32_t)mp_hal_ticks_us() * 40503u;
    uint32_t steps = seed >> 16;
    uint8_t skip[64];
    for (; steps >= sizeof(skip); steps -= sizeof(skip)) {
        mp_hal_get_random(sizeof(skip), skip);
    }
    mp_hal_get_random(steps, skip);
}

// --- clock and boot ------------------------------------------------------------------------

uint64_t mp_hal_time_ns(void) {
    return (uint64_t)mp_hal_ticks_us() * 1000u;
}

// MICROPY_PORT_INIT_FUNC (mpconfigboard.h): the end of mp_init(), at every boot and soft
// reset; the qemu port's main() runs no script itself. At power-on the ROMFS partitions are
// loaded from their files (rom_load); then, as other MicroPython ports do: the
// frozen _boot.py (mount the flash), then main.py (the frozen firmware/main.py, else one on
// the flash) unless the reset came from the raw REPL (mpremote's soft reset), then the REPL.
void callgate_board_init(void) {
    random_moved_on();
    rom_load();
    pyexec_frozen_module("_boot.py", false);
    if (pyexec_mode_kind == PYEXEC_MODE_FRIENDLY_REPL) {
        pyexec_file_if_exists("main.py");
    }
}

// --- machine.reset() -----------------------------------------------------------------------
// The qemu port's machine.reset() calls exit(), which ends QEMU through semihosting. The
// image is linked with --wrap=exit (mpconfigboard.mk), so it lands here: a system reset
// request (SCB AIRCR SYSRESETREQ), as on the part. QEMU resets the machine and loads the
// image again; the UARTs' ptys and the flash file stay, so the board comes back up on them.
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0C)

MP_NORETURN void __wrap_exit(int status) {
    (void)status;
    __asm__ volatile ("dsb" ::: "memory");
    SCB_AIRCR = 0x05FA0004u;  // VECTKEY | SYSRESETREQ
    __asm__ volatile ("dsb" ::: "memory");
    for (;;) {
    }
}
