# Man pages, shell completions, `cmake --install` and `cpack -G DEB|TGZ` (docs/packaging.md).
# Included by the top-level CMakeLists.txt after the targets.
#
# Installed layout (under the prefix; /usr in the .deb, the archive's top directory in the
# .tar.gz, /usr/local by default for `cmake --install`):
#   bin/etcdsnap
#   share/man/man1/etcdsnap*.1.gz                      generated (tools/docgen, docs/man/*.md)
#   share/bash-completion/completions/etcdsnap         generated
#   share/zsh/vendor-completions/_etcdsnap             generated; under a prefix other than
#     .../usr: share/zsh/site-functions/_etcdsnap      (see below)
#   share/doc/etcdsnap/README.md, *.md                 the docs (LICENSE in the .tar.gz and a
#                                                      plain install; the .deb has copyright
#                                                      and changelog.Debian.gz instead)
#
# Components: `runtime` (all of the above), `license` (LICENSE), `debian` (copyright,
# changelog.Debian.gz, lintian overrides; installed only when asked: cpack's DEB does).
# cmake/CPackOptions.cmake picks them per generator.

include(GNUInstallDirs)

set(ETCDSNAP_PACKAGE_MAINTAINER "etcdsnap maintainers <maintainers@etcdsnap.example>"
  CACHE STRING "Maintainer of the .deb (Debian's 'Name <email>')")
set(ETCDSNAP_DEB_RELEASE 1 CACHE STRING "The Debian revision of the .deb (0.1.0-<this>)")
find_program(ETCDSNAP_GZIP gzip REQUIRED)

# The Debian changelog: its top entry must be this version's; its date dates the man pages.
set(_pkg_dir ${PROJECT_BINARY_DIR}/packaging)
configure_file(${PROJECT_SOURCE_DIR}/packaging/deb/changelog ${_pkg_dir}/changelog.Debian @ONLY)
file(STRINGS ${_pkg_dir}/changelog.Debian _changelog)
list(GET _changelog 0 _changelog_head)
string(REGEX MATCH "^etcdsnap \\(([^)]+)\\)" _ "${_changelog_head}")
set(ETCDSNAP_CHANGELOG_VERSION "${CMAKE_MATCH_1}")
if(NOT ETCDSNAP_CHANGELOG_VERSION STREQUAL "${PROJECT_VERSION}-${ETCDSNAP_DEB_RELEASE}")
  message(WARNING "packaging/deb/changelog's top entry is ${ETCDSNAP_CHANGELOG_VERSION}, the "
                  "package is ${PROJECT_VERSION}-${ETCDSNAP_DEB_RELEASE}: add an entry for this "
                  "release (the package test fails until then)")
endif()
set(_months Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)
foreach(_line IN LISTS _changelog)
  if(_line MATCHES "^ -- .*  [A-Z][a-z][a-z], ([0-9][0-9]?) ([A-Z][a-z][a-z]) ([0-9][0-9][0-9][0-9]) ")
    list(FIND _months "${CMAKE_MATCH_2}" _month)
    math(EXPR _month "${_month} + 1")
    # Day and month with two digits.
    string(LENGTH "${CMAKE_MATCH_1}" _len)
    set(_day "${CMAKE_MATCH_1}")
    if(_len EQUAL 1)
      set(_day "0${_day}")
    endif()
    if(_month LESS 10)
      set(_month "0${_month}")
    endif()
    set(ETCDSNAP_RELEASE_DATE "${CMAKE_MATCH_3}-${_month}-${_day}")
    break()
  endif()
endforeach()
if(NOT ETCDSNAP_RELEASE_DATE)
  message(FATAL_ERROR "packaging/deb/changelog: no ' -- Name <email>  Date' line in its top entry")
endif()

# Man pages and completions, generated from the tables that print --help and docs/man/*.md.
add_subdirectory(${PROJECT_SOURCE_DIR}/tools/docgen ${PROJECT_BINARY_DIR}/tools/docgen)
file(GLOB _prose CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.md)
set(_man_dir ${PROJECT_BINARY_DIR}/man)
set(_completion_dir ${PROJECT_BINARY_DIR}/completion)
set(_pages "")
set(_pages_gz "")
foreach(_p IN LISTS _prose)
  get_filename_component(_name ${_p} NAME_WE)
  list(APPEND _pages ${_man_dir}/${_name}.1)
  list(APPEND _pages_gz ${_man_dir}/${_name}.1.gz)
endforeach()
add_custom_command(
  OUTPUT ${_pages} ${_completion_dir}/etcdsnap ${_completion_dir}/_etcdsnap
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_dir} ${_completion_dir}
  COMMAND etcdsnap-docgen --version ${PROJECT_VERSION} --date ${ETCDSNAP_RELEASE_DATE}
          --man-dir ${_man_dir} --completion-dir ${_completion_dir} ${_prose}
  DEPENDS etcdsnap-docgen ${_prose}
  COMMENT "Generating man pages and shell completions"
  VERBATIM)
# gzip -9n: maximal compression, no name or time stamp (reproducible; what lintian checks).
add_custom_command(
  OUTPUT ${_pages_gz}
  COMMAND ${ETCDSNAP_GZIP} -9nkf ${_pages}
  DEPENDS ${_pages}
  VERBATIM)
add_custom_command(
  OUTPUT ${_pkg_dir}/changelog.Debian.gz
  COMMAND ${ETCDSNAP_GZIP} -9nkf ${_pkg_dir}/changelog.Debian
  DEPENDS ${_pkg_dir}/changelog.Debian
  VERBATIM)
add_custom_target(etcdsnap_docs ALL
  DEPENDS ${_pages_gz} ${_completion_dir}/etcdsnap ${_completion_dir}/_etcdsnap
          ${_pkg_dir}/changelog.Debian.gz)
add_dependencies(etcdsnap_docs etcdsnap)

# Install rules.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(TARGETS etcdsnap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES ${_pages_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
install(FILES ${_completion_dir}/etcdsnap
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT runtime)
# zsh: Debian's zsh reads /usr/share/zsh/vendor-completions (packages' completions) and
# /usr/local/share/zsh/site-functions (the local administrator's), and not
# /usr/share/zsh/site-functions nor /usr/local/share/zsh/vendor-completions. So the directory
# depends on the prefix, which is known only when installing (cpack installs under a staging
# directory ending in /usr): vendor-completions under .../usr, site-functions elsewhere
# (/usr/local, and the .tar.gz, meant to be unpacked there).
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"/usr/?$\")
    set(_etcdsnap_zsh_dir \"${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
  else()
    set(_etcdsnap_zsh_dir \"${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${_etcdsnap_zsh_dir}\"
       TYPE FILE FILES \"${_completion_dir}/_etcdsnap\")
  " COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime
  PATTERN man EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT license)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/copyright ${_pkg_dir}/changelog.Debian.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT debian EXCLUDE_FROM_ALL)
if(ETCDSNAP_STATIC)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/lintian-overrides-static
    DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME etcdsnap
    COMPONENT debian EXCLUDE_FROM_ALL)
endif()

# The tests of the man pages, completions and packages (they use tests/support).
if(ETCDSNAP_BUILD_TESTS AND TARGET etcdsnap_testsupport)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/package ${PROJECT_BINARY_DIR}/tests/package)
endif()

# CPack: `cpack -G DEB` and `cpack -G TGZ` in the build directory.
set(CPACK_PACKAGE_NAME etcdsnap)
set(CPACK_PACKAGE_VENDOR "The etcdsnap authors")
set(CPACK_PACKAGE_CONTACT "${ETCDSNAP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "back up and restore etcd clusters, a drop-in for etcdctl snapshot")
set(CPACK_PACKAGE_DESCRIPTION
  "etcdsnap saves, checks and restores etcd v3 snapshots with etcdctl's command
lines: the same flags, ETCDCTL_* variables, output and exit codes, so scripts
and runbooks written for etcdctl snapshot work unchanged.

Beyond etcdctl, it never hangs on an unreachable or stalled member, never
leaves a half-written backup or data directory behind, checks the sha256 the
server sends, saves from any reachable member of a cluster, compresses as it
streams, verifies a snapshot's bbolt structure and etcd schema, and restores
with flat memory. For scheduled backups it adds name templates, retention,
manifests, a node_exporter metrics file and one run at a time.")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/CPackOptions.cmake)
set(CPACK_ETCDSNAP_STATIC "${ETCDSNAP_STATIC}")
set(CPACK_ETCDSNAP_PROCESSOR "${CMAKE_SYSTEM_PROCESSOR}")

set(CPACK_DEBIAN_PACKAGE_NAME etcdsnap)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${ETCDSNAP_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Dependencies from the shared libraries the binary really links (dpkg-shlibdeps): Debian 12's
# gRPC, protobuf, abseil, OpenSSL ... for the default build, libc6 alone for the static one.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

include(CPack)
