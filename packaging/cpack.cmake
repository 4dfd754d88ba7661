# CPack: headlight_<version>_amd64.deb and headlight-<version>-Linux.tar.gz from `cpack` in the build folder
# (packaging/build-package.sh). The .deb depends on Debian's own libraries (libtorch, Qt 6, HDF5...),
# found by dpkg-shlibdeps from what the binaries link.
set(CPACK_PACKAGE_NAME headlight)
set(CPACK_PACKAGE_VENDOR "The Headlight maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "visualizer for the attention heads of Transformer models")
set(CPACK_PACKAGE_CONTACT "${HEADLIGHT_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${HEADLIGHT_HOMEPAGE}")
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_STRIP_FILES ON)   # Debian ships stripped binaries
set(CPACK_THREADS 0)        # compress with every core

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # headlight_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)   # control files 0644, as lintian expects
# The long description, one line per line of the control file (CPack puts the summary first and indents).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Headlight shows what every attention head of a Transformer model does:
attention matrices, token lines, a layers by heads overview, Hard Concrete
head gates, adaptive attention spans, selective attention, persistent memory
and pruning what-ifs, each explained for teaching and exportable as figures
and HDF5 traces. headlight-cli does the same work headless. Sample models
showing each mechanism are included.")

include(CPack)
