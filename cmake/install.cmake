# install.cmake -- `cmake --install build --prefix P` and `cpack -G DEB` (included from the top
# CMakeLists.txt after the targets).  P gets:
#   bin/hgbench                       the command (RPATH $ORIGIN/../lib)
#   lib/libhgbench.so*                the harness, which plugins link
#   lib/lua/5.4/hgbench.so            the Lua module (require "hgbench" from lua5.4)
#   include/hgbench/hgbench.h         the public plugin header
#   lib/pkgconfig/hgbench.pc          pkg-config --cflags --libs hgbench
#   lib/cmake/hgbench/                find_package(hgbench) -> hgbench::hgbench
#   share/man/man1/hgbench.1          generated from `hgbench --help` (cmake/manpage.cmake)
#   share/doc/hgbench/                README.md and docs/, the example plugin
include(CMakePackageConfigHelpers)

# The man page, rebuilt with the binary.
set(HG_MANPAGE ${CMAKE_BINARY_DIR}/hgbench.1)
add_custom_command(OUTPUT ${HG_MANPAGE}
  COMMAND ${CMAKE_COMMAND} -DHG=$<TARGET_FILE:hgbench> -DOUT=${HG_MANPAGE}
          -DVERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  DEPENDS hgbench ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  COMMENT "Generating hgbench.1 from hgbench --help")
add_custom_target(hgbench_manpage ALL DEPENDS ${HG_MANPAGE})

install(TARGETS hgbench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS hgbench_shared EXPORT hgbenchTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS hgbench_lua LIBRARY DESTINATION ${HG_LUA_CMOD_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/harness/hgbench.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hgbench)

configure_file(${CMAKE_SOURCE_DIR}/cmake/hgbench.pc.in ${CMAKE_BINARY_DIR}/hgbench.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/hgbench.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(HG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hgbench)
install(EXPORT hgbenchTargets NAMESPACE hgbench:: DESTINATION ${HG_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/hgbenchConfig.cmake.in
  ${CMAKE_BINARY_DIR}/hgbenchConfig.cmake INSTALL_DESTINATION ${HG_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/hgbenchConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/hgbenchConfig.cmake
  ${CMAKE_BINARY_DIR}/hgbenchConfigVersion.cmake DESTINATION ${HG_CMAKE_DIR})

install(FILES ${HG_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/lua/scenarios DESTINATION ${CMAKE_INSTALL_DOCDIR})
if(EXISTS ${CMAKE_SOURCE_DIR}/examples/plugin)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/plugin DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
endif()

# --- cpack -G DEB: a package for Debian 12 --------------------------------------------------
set(CPACK_PACKAGE_NAME hgbench)
set(CPACK_PACKAGE_VENDOR "hgbench")
set(CPACK_PACKAGE_CONTACT "hgbench maintainers <hgbench@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "benchmark suite for hypergradient methods in bilevel optimization")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libopenblas0 | libopenblas0-pthread, liblapacke, libcholmod3, libsuitesparseconfig5, liblua5.4-0, libpng16-16, zlib1g")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox, lua5.4")
include(CPack)
