# _callgate for MicroPython's CMake-based ports (esp32, rp2):
#   make USER_C_MODULES=/path/to/callgate/usermod/_callgate/micropython.cmake ...
# The binding, plus every C file of the DSP core as it is in c_src/.
add_library(usermod_callgate INTERFACE)

get_filename_component(CALLGATE_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. ABSOLUTE)
file(GLOB CALLGATE_C_SRC ${CALLGATE_ROOT}/c_src/*.c)

target_sources(usermod_callgate INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/mod_callgate.c
    ${CALLGATE_C_SRC}
)

target_include_directories(usermod_callgate INTERFACE
    ${CALLGATE_ROOT}/c_src/include
    ${CALLGATE_ROOT}/c_src/gen
)

# Float results as on the host (x86-64 does not fuse multiply-adds): no fused multiply-add.
target_compile_options(usermod_callgate INTERFACE -ffp-contract=off)

target_link_libraries(usermod INTERFACE usermod_callgate)
