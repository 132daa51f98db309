# cmake/install.cmake - what `cmake --install` puts where, included at the end
# of CMakeLists.txt (the targets exist by then):
#   bin/ogem                         the command line
#   lib/libogem.a                    the library (target ogem_core, exported as ogem::ogem)
#   include/ogem/*.h                 the public headers
#   lib/cmake/ogem/                  the CMake package: find_package(ogem)
#   lib/pkgconfig/ogem.pc            the pkg-config file
#   share/ogem/plot_paper.py         the plotter `ogem paper` runs by default
#   share/ogem/plot_experiment.py    the plotter `ogem experiment` runs by default
# ogem_util (JSON/CSV helpers of the CLI and the tests) is not installed: it
# is not part of the API.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Installed as libogem.a / ogem::ogem; the target keeps its name in this build.
set_target_properties(ogem_core PROPERTIES OUTPUT_NAME ogem EXPORT_NAME ogem)
if(OGEM_CUDA)
  # nvcc compiles cuda/ as C++ (exception personality, guarded statics): the
  # project's own programs link with nvcc, which adds libstdc++, but a
  # consumer linking with the C compiler must be told.
  target_link_libraries(ogem_core PUBLIC stdc++)
endif()

install(TARGETS ogem_core EXPORT ogemTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The whole folder, so that headers added beside ogem.h are installed too.
install(DIRECTORY include/ogem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

# The CUDA libraries are found through the toolkit's directory, which is not
# always in the loader's path: keep it in the installed binary's RPATH.
set_target_properties(ogem PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS ogem RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES tools/plot_paper.py tools/plot_experiment.py DESTINATION ${CMAKE_INSTALL_DATADIR}/ogem)

# Where the CLI looks for its data (src/cli/cli_datadir.c): first relative to
# its own executable, so that an install moved to another prefix
# (`cmake --install build --prefix P`) still finds it; the configured prefix
# is only the last resort.
file(RELATIVE_PATH _ogem_bin_to_data "/p/${CMAKE_INSTALL_BINDIR}" "/p/${CMAKE_INSTALL_DATADIR}/ogem")
set_property(SOURCE src/cli/cli_datadir.c APPEND PROPERTY COMPILE_DEFINITIONS
  OGEM_BIN_TO_DATADIR="${_ogem_bin_to_data}"
  OGEM_INSTALL_DATADIR="${CMAKE_INSTALL_FULL_DATADIR}/ogem")

# ---- CMake package: find_package(ogem) -> ogem::ogem -----------------------------
set(OGEM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ogem)
install(EXPORT ogemTargets NAMESPACE ogem:: DESTINATION ${OGEM_CMAKE_DIR})
configure_package_config_file(cmake/ogemConfig.cmake.in ${PROJECT_BINARY_DIR}/ogemConfig.cmake
  INSTALL_DESTINATION ${OGEM_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ogemConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ogemConfig.cmake ${PROJECT_BINARY_DIR}/ogemConfigVersion.cmake
  DESTINATION ${OGEM_CMAKE_DIR})

# ---- pkg-config: ogem.pc ------------------------------------------------------------
# The library is static, so its dependencies go in Libs (not Libs.private):
# a plain `pkg-config --libs ogem` then links. The prefix is taken from the
# .pc file's own location, so the file is right for any --prefix.
file(RELATIVE_PATH OGEM_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" OGEM_PC_TO_PREFIX "${OGEM_PC_TO_PREFIX}")
set(OGEM_PC_CUDA_LIBS "-lcurand")
if(OGEM_CUDA)
  string(PREPEND OGEM_PC_CUDA_LIBS "-lcublas -lcudart ")
  string(APPEND OGEM_PC_CUDA_LIBS " -lstdc++")   # see stdc++ above
endif()
# CUDAToolkit_LIBRARY_DIR: the toolkit this build found (not a fixed path);
# the rpath lets the consumer run where that directory is not in ld.so's cache.
set(OGEM_PC_CUDA_LIBS "-L${CUDAToolkit_LIBRARY_DIR} -Wl,-rpath,${CUDAToolkit_LIBRARY_DIR} ${OGEM_PC_CUDA_LIBS}")
if(OGEM_BLAS_VENDOR)   # the CPU backend's GEMM path (CMakeLists.txt, OGEM_BLAS)
  list(JOIN BLAS_LIBRARIES " " _ogem_pc_blas)
  string(APPEND OGEM_PC_CUDA_LIBS " ${_ogem_pc_blas}")
endif()
configure_file(cmake/ogem.pc.in ${PROJECT_BINARY_DIR}/ogem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ogem.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
