// ports/esp32 board definition for the callgate ESP32-S3 2FXO+2FXS gateway.
#define MICROPY_HW_BOARD_NAME "callgate 2FXO+2FXS"
#define MICROPY_HW_MCU_NAME   "ESP32S3"
#define MICROPY_HW_USB_CDC    (1)  // REPL on native USB; the host link is UART1 (board.json)
