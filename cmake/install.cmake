# What `cmake --install` puts where (GNUInstallDirs), and the Debian package
# CPack makes of it (`make deb`). The layout is the one the program searches
# (render/palette.h): the binary in bin/, its palettes in
# share/p2pfractal/palettes, so an installed tree works under any prefix.
# Fonts are not ours to ship: the window uses DejaVu from fonts-dejavu-core
# (app/window/text.c), a dependency of the package.

install(TARGETS p2pfractal RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY assets/palettes DESTINATION ${CMAKE_INSTALL_DATADIR}/p2pfractal
        FILES_MATCHING PATTERN "*.map")
install(FILES README.md docs/ARCHITECTURE.md docs/BENCHMARKS.md docs/SECURITY.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The man page, where the build makes one: a `man` target that writes the
# page to ${P2PF_MAN_PAGE} (set beside the target, before this file is
# included). Without both, nothing is installed and nothing fails.
if(TARGET man AND DEFINED P2PF_MAN_PAGE)
  install(FILES ${P2PF_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# What an install needs built, and no more (`make deb` builds this, not the
# tests).
add_custom_target(installable DEPENDS p2pfractal)
if(TARGET man AND DEFINED P2PF_MAN_PAGE)
  add_dependencies(installable man)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME p2pfractal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "p2pfractal maintainers <maintainers@users.noreply.r-seed-05b85fbe.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "peer-to-peer Mandelbrot and Julia renderer for a lab of machines")
# The long description (CPack puts the summary line before it and indents it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Every machine runs a peer; the peers split the image into slices, render
them with a SIMD kernel and gossip every finished slice, so every window
fills in with the whole image, identical to a single-machine render
whatever peer was killed on the way. It also renders alone (p2pfractal
render) and closes a network with a shared key (ZeroMQ CURVE).")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Debian packages live under /usr, whatever prefix this build was configured
# with (`make deb` configures build-deb with /usr too, so that the data dir
# compiled in agrees).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# dpkg-shlibdeps fills in the libraries (libc6, libsdl2-2.0-0, libzmq5...);
# the font is read at run time, so it is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS fonts-dejavu-core)
# p2pfractal_0.1.0_amd64.deb
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
include(CPack)
