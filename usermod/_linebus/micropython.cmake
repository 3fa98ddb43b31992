# _linebus for MicroPython's CMake-based ports (esp32, rp2), beside _callgate's.
add_library(usermod_linebus INTERFACE)
target_sources(usermod_linebus INTERFACE ${CMAKE_CURRENT_LIST_DIR}/mod_linebus.c)
target_link_libraries(usermod INTERFACE usermod_linebus)
