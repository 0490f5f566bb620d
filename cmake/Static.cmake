# ETCDSNAP_STATIC: the release build, one binary that runs on any x86-64 Linux with glibc.
#
# gRPC, protobuf, abseil, re2, c-ares, upb, address_sorting, gpr, OpenSSL, zstd and zlib are
# linked from Debian's static archives (.a, shipped by their -dev packages beside the .so),
# libstdc++ and libgcc statically, spdlog and fmt compiled from their headers into a library of
# ours (Debian ships no libspdlog.a or libfmt.a). glibc stays dynamic: a fully static binary
# would still need glibc's shared NSS modules for getaddrinfo and user names, and breaks when
# the host's glibc differs.
#
# The packages' CMake files describe shared libraries (gRPC's targets point at libgrpc.so.29,
# absl's at libabsl_*.so.20220623, FindOpenSSL's at libssl.so, ...). Rather than writing the
# static link line by hand, this file points each imported library at the .a beside its .so,
# so the dependency graph (and so the link order) stays the one the packages declare. After
# the link, the binary's DT_NEEDED entries are checked: anything but glibc fails the build.
#
# Included by the top-level CMakeLists.txt after its find_package() calls, before the targets.
# Also defines etcdsnap_spdlog, the spdlog (with fmt) that every target links, both modes.

option(ETCDSNAP_STATIC
  "Release build: everything but glibc linked statically (gRPC, protobuf, OpenSSL, libstdc++...)"
  OFF)

add_library(etcdsnap_spdlog INTERFACE)
if(NOT ETCDSNAP_STATIC)
  target_link_libraries(etcdsnap_spdlog INTERFACE spdlog::spdlog)
  return()
endif()

if(ETCDSNAP_SANITIZE)
  message(FATAL_ERROR "ETCDSNAP_STATIC and ETCDSNAP_SANITIZE do not go together: the "
                      "sanitizer runtimes are shared libraries; build them in separate trees")
endif()

# _etcdsnap_static_archive(ITEM OUT): OUT is the static archive for a link item, when there is
# one: the .a beside a shared library's path (libfoo.so, libfoo.so.29.0.0 -> libfoo.a), or the
# libfoo.a that the linker would find for -lfoo (pkg-config's targets, re2's). glibc's own
# libraries (-ldl, -lpthread, -lm, ...) stay shared. Else OUT is empty.
function(_etcdsnap_static_archive item out)
  set(${out} "" PARENT_SCOPE)
  if(item MATCHES "^(.*/lib[^/]+)\\.so(\\.[0-9.]+)?$")
    set(archive "${CMAKE_MATCH_1}.a")
    if(EXISTS "${archive}")
      set(${out} "${archive}" PARENT_SCOPE)
    endif()
  elseif(item MATCHES "^-l(.+)$")
    set(name "${CMAKE_MATCH_1}")
    if(name MATCHES "^(c|m|dl|pthread|rt|resolv|util|anl|nsl|crypt|atomic)$")
      return()
    endif()
    find_library(_etcdsnap_archive_${name} NAMES lib${name}.a NO_CACHE)
    if(_etcdsnap_archive_${name})
      set(${out} "${_etcdsnap_archive_${name}}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

set(_etcdsnap_swapped "")
get_property(_etcdsnap_imported DIRECTORY "${PROJECT_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
foreach(t IN LISTS _etcdsnap_imported)
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "UNKNOWN_LIBRARY")
    get_target_property(configs ${t} IMPORTED_CONFIGURATIONS)
    set(props IMPORTED_LOCATION)
    if(configs)
      foreach(c IN LISTS configs)
        string(TOUPPER "${c}" c)
        list(APPEND props IMPORTED_LOCATION_${c})
      endforeach()
    endif()
    set(archive "")
    foreach(p IN LISTS props)
      get_target_property(loc ${t} ${p})
      if(loc)
        _etcdsnap_static_archive("${loc}" a)
        if(a)
          set_property(TARGET ${t} PROPERTY ${p} "${a}")
          set(archive "${a}")
        endif()
      endif()
    endforeach()
    if(archive)
      # A static library: no soname, and its own dependencies must follow it on the line.
      set_target_properties(${t} PROPERTIES IMPORTED_NO_SONAME TRUE IMPORTED_SONAME "")
      list(APPEND _etcdsnap_swapped "${t}")
    endif()
  endif()
  # pkg-config's targets (PkgConfig::ZSTD, re2::re2) are INTERFACE libraries naming the .so by
  # path or by -l.
  get_target_property(deps ${t} INTERFACE_LINK_LIBRARIES)
  if(deps)
    set(new_deps "")
    set(changed FALSE)
    foreach(d IN LISTS deps)
      _etcdsnap_static_archive("${d}" a)
      if(a)
        list(APPEND new_deps "${a}")
        set(changed TRUE)
      else()
        list(APPEND new_deps "${d}")
      endif()
    endforeach()
    if(changed)
      set_property(TARGET ${t} PROPERTY INTERFACE_LINK_LIBRARIES "${new_deps}")
      list(APPEND _etcdsnap_swapped "${t}")
    endif()
  endif()
endforeach()

# libcrypto.a calls dlopen (engines) and pthreads; glibc provides both (libdl is a stub).
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES
  ${CMAKE_DL_LIBS} Threads::Threads)

add_link_options(-static-libstdc++ -static-libgcc)
# Our functions and data in sections of their own, and the linker drops those nothing uses
# (Debian's archives are dropped per object file): 0.9 MB less code, ~0.4 MiB less resident.
add_compile_options(-ffunction-sections -fdata-sections)
add_link_options(-Wl,--gc-sections)
# spdlog and fmt compiled once into a static library of ours (src/util/spdlog_fmt_static.cc,
# from the out-of-line definitions Debian's headers carry); its users are compiled with
# SPDLOG_COMPILED_LIB and fmt's non-header-only declarations. Header-only mode would compile
# both into every file that logs: ~17 s of g++ each, a third of the release build. Debian's
# spdlog targets are not used: both name the shared libfmt.so.
add_library(etcdsnap_spdlog_static STATIC ${PROJECT_SOURCE_DIR}/src/util/spdlog_fmt_static.cc)
target_compile_definitions(etcdsnap_spdlog_static PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
target_link_libraries(etcdsnap_spdlog_static PUBLIC Threads::Threads)
target_link_libraries(etcdsnap_spdlog INTERFACE etcdsnap_spdlog_static)
# For every file of the build, not only etcdsnap_spdlog's users: one that includes spdlog without
# linking it then fails to link, instead of compiling its own header-only copy (an ODR trap).
add_compile_definitions(SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)

list(LENGTH _etcdsnap_swapped n)
message(STATUS "ETCDSNAP_STATIC: ${n} imported libraries linked from their .a archives")

# After each build, the binary's DT_NEEDED entries must be glibc's alone (cmake/CheckStatic.cmake
# prints them and the glibc version floor): a target that picks up a shared library again (a
# new dependency, spdlog::spdlog instead of etcdsnap_spdlog) fails the build here.
add_custom_target(etcdsnap_check_static ALL
  COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:etcdsnap>
          -P ${CMAKE_CURRENT_LIST_DIR}/CheckStatic.cmake
  VERBATIM)
add_dependencies(etcdsnap_check_static etcdsnap)
