# CPACK_PROJECT_CONFIG_FILE (cmake/Packaging.cmake): cpack reads it once per generator, with
# CPACK_GENERATOR set to the one at work.
if(CPACK_GENERATOR STREQUAL "DEB")
  # Debian wants the license in /usr/share/doc/etcdsnap/copyright (machine-readable) and a
  # changelog.Debian.gz, and no LICENSE file beside them (lintian: extra-license-file).
  # cpack installs only the components listed when the generator packs by component; all of
  # them go into the one package.
  set(CPACK_COMPONENTS_ALL runtime debian)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
else()
  # Not by component: every component but the EXCLUDE_FROM_ALL one (debian).
  # The static build is the portable one; the default build needs Debian 12's libraries.
  set(_flavour "")
  if(NOT CPACK_ETCDSNAP_STATIC)
    set(_flavour "-debian12")
  endif()
  set(CPACK_PACKAGE_FILE_NAME
    "etcdsnap-${CPACK_PACKAGE_VERSION}-linux-${CPACK_ETCDSNAP_PROCESSOR}${_flavour}")
endif()
