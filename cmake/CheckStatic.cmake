# cmake -DBINARY=path -P CheckStatic.cmake: fails unless BINARY's DT_NEEDED entries are all
# glibc's (libc, libm, libresolv, ld-linux, and the libpthread/libdl/librt stubs); prints them
# and the newest GLIBC_ symbol version it needs (its glibc floor).
find_program(READELF readelf REQUIRED)
execute_process(COMMAND ${READELF} --dynamic --wide "${BINARY}"
  OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf --dynamic ${BINARY} failed")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^[]*\\[([^]]+)\\]" lines "${dynamic}")
set(needed "")
set(foreign "")
foreach(l IN LISTS lines)
  string(REGEX REPLACE ".*\\[([^]]+)\\]" "\\1" lib "${l}")
  list(APPEND needed "${lib}")
  if(NOT lib MATCHES
     "^(libc|libm|libresolv|libpthread|libdl|librt)\\.so\\.[0-9]+$|^ld-linux[-a-z0-9_]*\\.so\\.[0-9]+$")
    list(APPEND foreign "${lib}")
  endif()
endforeach()
execute_process(COMMAND ${READELF} --dyn-syms --wide "${BINARY}" OUTPUT_VARIABLE syms)
string(REGEX MATCHALL "GLIBC_[0-9]+\\.[0-9]+(\\.[0-9]+)?" versions "${syms}")
list(REMOVE_DUPLICATES versions)
list(TRANSFORM versions REPLACE "GLIBC_" "")
list(SORT versions COMPARE NATURAL ORDER DESCENDING)
list(GET versions 0 floor)
list(JOIN needed " " needed_text)
if(foreign)
  list(JOIN foreign " " foreign_text)
  message(FATAL_ERROR "${BINARY} is not a release binary: it needs ${foreign_text} besides "
                      "glibc. Link that library from its .a (cmake/Static.cmake).")
endif()
message(STATUS "${BINARY}: needs ${needed_text} (glibc >= ${floor})")
