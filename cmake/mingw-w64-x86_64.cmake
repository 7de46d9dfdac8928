# Cross-compiling `dala` for 64-bit Windows with Debian's mingw-w64.
#
# The POSIX thread model of GCC (the -posix compilers) is the one with
# std::thread and std::mutex; the win32 model lacks them in GCC 12.
# Everything is linked statically (libgcc, libstdc++, winpthread), so
# dala.exe needs no DLL beside it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# Headers and libraries come from mingw's own tree and from the prefix
# scripts/windows-deps fills (DALA_WINDOWS_DEPS); never from the build
# machine's /usr.
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32 ${DALA_WINDOWS_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# zlib linked into dala.exe, not beside it as a DLL.
set(ZLIB_USE_STATIC_LIBS ON)

# ctest runs the Windows test programs under Wine.
set(CMAKE_CROSSCOMPILING_EMULATOR wine)
